package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/guptarohit/asciigraph"
	"github.com/reslab/reslab/train"
)

// ChartOptions shape a plain-text chart.
type ChartOptions struct {
	Width, Height int
	Caption       string
	Legends       []string
	Colors        []asciigraph.AnsiColor // nil for no colour
	Smooth        bool                   // exponential moving average (0.6), as TensorBoard's slider
	Log           bool                   // log10 of the values
	// XMin and XMax label the x axis below the plot (epochs, seconds);
	// the axis is drawn when XMax > XMin. XFormat formats its ticks
	// (default %g).
	XMin, XMax float64
	XFormat    func(float64) string
	// Raw are series drawn first, faintly ('·', in RawColor when colours
	// are on), behind the others: the unsmoothed values behind a smoothed
	// curve, as TensorBoard shows them. They have no legend entries.
	Raw      [][]float64
	RawColor asciigraph.AnsiColor
	// LegendWidth wraps the legend to lines of at most this many cells
	// (0: one line).
	LegendWidth int
	// XWhole puts the x axis's ticks on whole numbers (epochs), evenly
	// spaced: the axis runs from XMin's floor to XMax's ceiling.
	XWhole bool
	// XTicks, when set, is the number of ticks (XMin and XMax already
	// chosen so they fall on round values: see NiceRange).
	XTicks int
}

// niceSteps are the tick spacings of a time axis, in seconds.
var niceSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400}

// NiceRange widens [lo, hi] to multiples of a round step (1 s, 2 s, 5 s,
// … 1 h …) with at most maxXTicks-1 steps, so every tick of a time axis
// reads as a distinct round value; it returns the range and the tick
// count.
func NiceRange(lo, hi float64) (float64, float64, int) {
	step := niceSteps[len(niceSteps)-1]
	for _, s := range niceSteps {
		if math.Ceil(hi/s)-math.Floor(lo/s) <= maxXTicks-1 {
			step = s
			break
		}
	}
	lo, hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if hi <= lo {
		hi = lo + step
	}
	return lo, hi, int(math.Round((hi-lo)/step)) + 1
}

// maxXTicks bounds the ticks of a whole-number axis.
const maxXTicks = 6

// wholeTicks is the tick count that puts every tick of [lo, hi] on a whole
// number, evenly: the most ticks up to maxXTicks whose gaps divide the
// span (a prime span gets its two ends).
func wholeTicks(lo, hi float64) int {
	span := int(hi - lo)
	for t := min(span+1, maxXTicks); t > 2; t-- {
		if span%(t-1) == 0 {
			return t
		}
	}
	return 2
}

// EpochAxis labels a chart's x axis with epochs 1..n, n the longest series.
func EpochAxis(o ChartOptions, series [][]float64) ChartOptions {
	n := 0
	for _, s := range series {
		n = max(n, len(s))
	}
	if n > 1 {
		o.XMin, o.XMax, o.XWhole = 1, float64(n), true
		o.XFormat = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	return o
}

// seriesChars tell the series apart without colour (NO_COLOR, files).
var seriesChars = []string{"•", "○", "×", "+", "▪", "◇"}

// Chart draws series with asciigraph, each in its own character (and
// colour, when given), with the legend below. Series may differ in length.
func Chart(series [][]float64, o ChartOptions) string {
	var data [][]float64
	var legends []string
	var colors []asciigraph.AnsiColor
	var chars []asciigraph.CharSet
	for _, s := range o.Raw {
		if !slices.ContainsFunc(s, func(x float64) bool { return !math.IsNaN(x) }) {
			continue
		}
		v := append([]float64(nil), s...)
		if o.Log {
			for j := range v {
				v[j] = math.Log10(math.Max(v[j], 1e-12))
			}
		}
		if len(v) == 1 {
			v = append(v, v[0])
		}
		data = append(data, v)
		chars = append(chars, asciigraph.CreateCharSet("·"))
		colors = append(colors, o.RawColor)
	}
	for i, s := range series {
		if len(s) == 0 || !slices.ContainsFunc(s, func(x float64) bool { return !math.IsNaN(x) }) {
			continue
		}
		v := append([]float64(nil), s...)
		if o.Smooth {
			v = smooth(v, 0.6)
		}
		if o.Log {
			for j := range v {
				v[j] = math.Log10(math.Max(v[j], 1e-12))
			}
		}
		if len(v) == 1 { // asciigraph needs two points for a line
			v = append(v, v[0])
		}
		data = append(data, v)
		c := seriesChars[i%len(seriesChars)]
		chars = append(chars, asciigraph.CreateCharSet(c))
		if i < len(o.Legends) {
			legends = append(legends, legendEntry(i, o.Legends[i]))
		}
		if i < len(o.Colors) {
			colors = append(colors, o.Colors[i])
		}
	}
	if len(data) == 0 {
		return "(no epochs yet)"
	}
	opts := []asciigraph.Option{asciigraph.Height(max(o.Height, 3)), asciigraph.Precision(3)}
	if o.Width > 0 {
		opts = append(opts, asciigraph.Width(o.Width))
	}
	if o.Caption != "" {
		caption := o.Caption
		if o.Log {
			caption += ", log"
		}
		opts = append(opts, asciigraph.Caption(caption))
	}
	if o.Log {
		// The values were plotted as log10; the axis says what they were.
		opts = append(opts, asciigraph.YAxisValueFormatter(func(v float64) string { return fmt.Sprintf("%.3g", math.Pow(10, v)) }))
	}
	switch {
	case o.XTicks > 1 && o.XMax > o.XMin:
		opts = append(opts, asciigraph.XAxisTickCount(o.XTicks))
	case o.XWhole && o.XMax > o.XMin:
		o.XMin, o.XMax = math.Floor(o.XMin), math.Ceil(o.XMax)
		opts = append(opts, asciigraph.XAxisTickCount(wholeTicks(o.XMin, o.XMax)))
	}
	if o.XMax > o.XMin {
		opts = append(opts, asciigraph.XAxisRange(o.XMin, o.XMax))
		if o.XFormat != nil {
			opts = append(opts, asciigraph.XAxisValueFormatter(asciigraph.XAxisValueFormatterFunc(o.XFormat)))
		}
	}
	if len(colors) == len(data) && len(o.Colors) > 0 {
		opts = append(opts, asciigraph.SeriesColors(colors...))
	}
	opts = append(opts, asciigraph.SeriesChars(chars...))
	plot := asciigraph.PlotMany(data, opts...)
	if len(legends) > 0 {
		plot += "\n" + strings.Join(wrapLegend(legends, o.LegendWidth), "\n")
	}
	return plot
}

// legendEntry is series i's legend: its character and its label.
func legendEntry(i int, label string) string {
	return seriesChars[i%len(seriesChars)] + " " + label
}

// Legend is the legend of labelled series (label i is series i), wrapped
// to lines of at most width cells (0: one line); an entry longer than a
// line is cut.
func Legend(labels []string, width int) []string {
	entries := make([]string, len(labels))
	for i, l := range labels {
		entries[i] = legendEntry(i, l)
	}
	return wrapLegend(entries, width)
}

const legendGap = "   "

func wrapLegend(entries []string, width int) []string {
	if width <= 0 {
		return []string{strings.Join(entries, legendGap)}
	}
	var lines []string
	line := ""
	for _, e := range entries {
		if utf8.RuneCountInString(e) > width {
			r := []rune(e)
			e = string(r[:max(width-1, 0)]) + "…"
		}
		switch {
		case line == "":
			line = e
		case utf8.RuneCountInString(line+legendGap+e) <= width:
			line += legendGap + e
		default:
			lines = append(lines, line)
			line = e
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func smooth(v []float64, weight float64) []float64 {
	out := make([]float64, len(v))
	last := math.NaN()
	for i, x := range v {
		switch {
		case math.IsNaN(x): // a gap (a shorter series on a shared axis)
			out[i] = x
			continue
		case math.IsNaN(last):
			last = x
		default:
			last = weight*last + (1-weight)*x
		}
		out[i] = last
	}
	return out
}

// LRFindChart draws the smoothed loss against the rate, the x axis in
// powers of ten.
func LRFindChart(res train.LRFindResult, w, h int) string {
	if len(res.LRs) < 2 {
		return "(too few steps to draw)\n"
	}
	o := ChartOptions{Height: h, Width: w, Caption: "smoothed loss by learning rate (log axis)",
		XMin: math.Log10(res.LRs[0]), XMax: math.Log10(res.LRs[len(res.LRs)-1]),
		XFormat: func(v float64) string { return fmt.Sprintf("%.0e", math.Pow(10, v)) }}
	// The divergence at the end would squash the curve: values above the
	// start's are drawn at that height.
	top := res.Losses[0]
	for _, v := range res.Losses[:max(len(res.Losses)/10, 1)] {
		top = math.Max(top, v)
	}
	shown := make([]float64, len(res.Losses))
	for i, v := range res.Losses {
		shown[i] = math.Min(v, top*1.05)
	}
	return Chart([][]float64{shown}, o) + "\n"
}
