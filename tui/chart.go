package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
)

// xy is one point of a curve: x is an epoch (fractional while one is in
// progress) or seconds of training.
type xy struct{ x, y float64 }

// curve is one series of a chart.
type curve struct {
	label string
	pts   []xy
}

// chartView is what a chart shows and how.
type chartView struct {
	title    string
	curves   []curve
	smooth   bool
	log      bool
	timeAxis bool
}

// epochCurve turns a run's epochs into a curve of one metric, by epoch
// or by cumulative training time.
func epochCurve(label string, hist []train.EpochMetrics, metric string, timeAxis bool) curve {
	c := curve{label: label}
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
		c.pts = append(c.pts, xy{x, v})
	}
	return c
}

// renderChart draws the curves overlaid in at most w×h cells: y axis
// labels, the x axis with ticks, a caption and a legend.
func renderChart(st *Styles, cv chartView, w, h int) string {
	xmin, xmax := math.Inf(1), math.Inf(-1)
	any := false
	for _, c := range cv.curves {
		for _, p := range c.pts {
			xmin, xmax = math.Min(xmin, p.x), math.Max(xmax, p.x)
			any = true
		}
	}
	if !any || w < 16 || h < 3 {
		return truncate(cv.title+": no epochs yet", w)
	}
	axis := h >= 7 && xmax > xmin
	plotH := h - 3 // rows+1 plot lines, caption, legend
	if axis {
		plotH -= 2
	}
	plotH = max(plotH, 1)
	cols := max(w-12, 8)
	var out string
	for try := 0; try < 3; try++ {
		series := make([][]float64, len(cv.curves))
		legends := make([]string, len(cv.curves))
		for i, c := range cv.curves {
			pts := c.pts
			if cv.smooth {
				pts = smoothPoints(pts, 0.6)
			}
			series[i] = resample(pts, xmin, xmax, cols)
			legends[i] = c.label
		}
		o := experiments.ChartOptions{Height: plotH, Caption: cv.title, Legends: legends, Colors: st.Series, Log: cv.log}
		if axis {
			o.XMin, o.XMax = xmin, xmax
			o.XFormat = func(v float64) string {
				if cv.timeAxis {
					return duration(v)
				}
				switch {
				case xmax-xmin >= 4:
					return fmt.Sprintf("%.0f", v)
				case xmax-xmin >= 1:
					return fmt.Sprintf("%.1f", v)
				}
				return fmt.Sprintf("%.2f", v)
			}
		}
		if cv.smooth {
			o.Caption += " (smoothed)"
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
	return out
}

// smoothPoints is an exponential moving average of the y values, as
// TensorBoard's smoothing slider.
func smoothPoints(pts []xy, weight float64) []xy {
	out := make([]xy, len(pts))
	for i, p := range pts {
		if i == 0 {
			out[i] = p
			continue
		}
		out[i] = xy{p.x, weight*out[i-1].y + (1-weight)*p.y}
	}
	return out
}

// resample interpolates a curve onto cols evenly spaced x values from
// xmin to xmax; outside the curve's own x range the values are NaN
// (asciigraph leaves a gap), so curves of different lengths share an axis.
func resample(pts []xy, xmin, xmax float64, cols int) []float64 {
	out := make([]float64, cols)
	for i := range out {
		out[i] = math.NaN()
	}
	if len(pts) == 0 {
		return out
	}
	if xmax <= xmin || cols == 1 {
		out[0] = pts[len(pts)-1].y
		return out
	}
	step := (xmax - xmin) / float64(cols-1)
	eps := step / 2
	j := 0
	for i := range out {
		x := xmin + float64(i)*step
		if x < pts[0].x-eps || x > pts[len(pts)-1].x+eps {
			continue
		}
		for j+1 < len(pts) && pts[j+1].x < x {
			j++
		}
		switch {
		case x <= pts[0].x:
			out[i] = pts[0].y
		case j+1 >= len(pts):
			out[i] = pts[len(pts)-1].y
		default:
			a, b := pts[j], pts[j+1]
			if b.x == a.x {
				out[i] = b.y
			} else {
				out[i] = a.y + (b.y-a.y)*(x-a.x)/(b.x-a.x)
			}
		}
	}
	// A lone point inside the range still shows.
	if len(pts) == 1 {
		i := int(math.Round((pts[0].x - xmin) / step))
		if i >= 0 && i < cols {
			out[i] = pts[0].y
		}
	}
	return out
}
