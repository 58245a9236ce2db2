package components

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
)

// Point is one point of a curve: x is an epoch (fractional while one is in
// progress) or seconds of training.
type Point struct{ X, Y float64 }

// Curve is one series of a chart.
type Curve struct {
	Label  string
	Points []Point
}

// ChartView is what a chart shows and how.
type ChartView struct {
	Title    string
	Curves   []Curve
	Smooth   bool // exponential moving average, as TensorBoard's slider
	Log      bool // logarithmic y axis
	TimeAxis bool // x is seconds of training, not epochs
	// NoCaption leaves the title line out (the page names the metric).
	NoCaption bool
	// Bands are drawn faintly behind the curves, with no legend entries:
	// the edges of a sweep arm's interval around its mean.
	Bands []Curve
}

// EpochCurve turns a run's epochs into a curve of one metric, by epoch
// or by cumulative training time.
func EpochCurve(label string, hist []train.EpochMetrics, metric string, timeAxis bool) Curve {
	c := Curve{Label: label}
	t := 0.0
	for _, m := range hist {
		t += m.Seconds
		v, err := m.Value(metric)
		if err != nil {
			continue
		}
		x := float64(m.Epoch)
		if timeAxis {
			x = t
		}
		c.Points = append(c.Points, Point{x, v})
	}
	return c
}

// RenderChart draws the curves overlaid in at most w×h cells: y axis
// labels, the x axis with ticks, a caption and a legend.
func RenderChart(st *common.Styles, cv ChartView, w, h int) string {
	xmin, xmax := math.Inf(1), math.Inf(-1)
	any := false
	for _, c := range cv.Curves {
		for _, p := range c.Points {
			xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
			any = true
		}
	}
	if !any || w < 16 || h < 3 {
		return common.Truncate(cv.Title+": no epochs yet", w)
	}
	timeTicks := 0
	if cv.TimeAxis {
		// Time: the axis spans round seconds or minutes, so no two ticks
		// read the same.
		xmin, xmax, timeTicks = experiments.NiceRange(xmin, xmax)
	} else {
		// Epochs: the axis spans whole epochs (the one in progress to its
		// end), so its ticks fall on epoch numbers.
		xmin, xmax = math.Floor(xmin), math.Ceil(xmax)
	}
	// The legend wraps under the plot, one run per entry, so the plot keeps
	// the full width however many runs there are.
	labels := make([]string, len(cv.Curves))
	for i, c := range cv.Curves {
		labels[i] = c.Label
		if len(c.Points) == 0 {
			labels[i] += " (no epochs yet)"
		}
	}
	legend := experiments.Legend(labels, w)
	if limit := max(h/3, 1); len(legend) > limit {
		// As many entries as fit on the lines before the last, which
		// counts the rest.
		shown := len(labels) - 1
		for shown > 0 && len(experiments.Legend(labels[:shown], w)) > limit-1 {
			shown--
		}
		var kept []string
		if shown > 0 {
			kept = experiments.Legend(labels[:shown], w)
		}
		legend = append(kept, common.Truncate(fmt.Sprintf("… and %d more", len(labels)-shown), w))
	}
	axis := h >= 7 && xmax > xmin
	plotH := h - 2 - len(legend) // rows+1 plot lines, caption, legend
	if cv.NoCaption {
		plotH++
	}
	if axis {
		plotH -= 2
	}
	plotH = max(plotH, 1)
	cols := max(w-12, 8)
	var out string
	for try := 0; try < 3; try++ {
		series := make([][]float64, len(cv.Curves))
		var raw [][]float64
		for _, b := range cv.Bands {
			raw = append(raw, Resample(b.Points, xmin, xmax, cols))
		}
		for i, c := range cv.Curves {
			pts := c.Points
			if cv.Smooth {
				// The raw values stay, faintly, behind the smoothed curve.
				raw = append(raw, Resample(pts, xmin, xmax, cols))
				pts = smoothPoints(pts, 0.6)
			}
			series[i] = Resample(pts, xmin, xmax, cols)
		}
		o := experiments.ChartOptions{Height: plotH, Caption: cv.Title, Colors: st.Series, Log: cv.Log, Raw: raw, RawColor: st.RawSeries}
		if cv.NoCaption {
			o.Caption = ""
		}
		if axis {
			o.XMin, o.XMax, o.XWhole, o.XTicks = xmin, xmax, !cv.TimeAxis, timeTicks
			o.XFormat = func(v float64) string {
				if cv.TimeAxis {
					return common.Duration(v)
				}
				return fmt.Sprintf("%.0f", v)
			}
		}
		if cv.Smooth && o.Caption != "" {
			o.Caption += ", smoothed"
		}
		out = experiments.Chart(series, o)
		widest := 0
		for _, l := range strings.Split(out, "\n") {
			widest = max(widest, ansi.StringWidth(l))
		}
		if widest == w || (widest < w && try > 0) {
			break
		}
		cols = max(cols+w-widest, 4)
	}
	return out + "\n" + strings.Join(legend, "\n")
}

// smoothPoints is an exponential moving average of the y values, as
// TensorBoard's smoothing slider.
func smoothPoints(pts []Point, weight float64) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		if i == 0 {
			out[i] = p
			continue
		}
		out[i] = Point{p.X, weight*out[i-1].Y + (1-weight)*p.Y}
	}
	return out
}

// Resample interpolates a curve onto cols evenly spaced x values from
// xmin to xmax; outside the curve's own x range the values are NaN
// (asciigraph leaves a gap), so curves of different lengths share an axis.
func Resample(pts []Point, xmin, xmax float64, cols int) []float64 {
	out := make([]float64, cols)
	for i := range out {
		out[i] = math.NaN()
	}
	if len(pts) == 0 {
		return out
	}
	if xmax <= xmin || cols == 1 {
		out[0] = pts[len(pts)-1].Y
		return out
	}
	step := (xmax - xmin) / float64(cols-1)
	eps := step / 2
	j := 0
	for i := range out {
		x := xmin + float64(i)*step
		if x < pts[0].X-eps || x > pts[len(pts)-1].X+eps {
			continue
		}
		for j+1 < len(pts) && pts[j+1].X < x {
			j++
		}
		switch {
		case x <= pts[0].X:
			out[i] = pts[0].Y
		case j+1 >= len(pts):
			out[i] = pts[len(pts)-1].Y
		default:
			a, b := pts[j], pts[j+1]
			if b.X == a.X {
				out[i] = b.Y
			} else {
				out[i] = a.Y + (b.Y-a.Y)*(x-a.X)/(b.X-a.X)
			}
		}
	}
	// A lone point inside the range still shows.
	if len(pts) == 1 {
		i := int(math.Round((pts[0].X - xmin) / step))
		if i >= 0 && i < cols {
			out[i] = pts[0].Y
		}
	}
	return out
}
