package components

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/muesli/termenv"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/internal/labtest"
)

func TestImageDrawing(t *testing.T) {
	img, err := experiments.SampleImage(experiments.Spec{}, "demo/valid/circle/0001.png")
	if err != nil {
		t.Fatal(err)
	}
	cols, rows := ImageSize(img, 40, 10)
	if cols != 20 || rows != 10 {
		t.Errorf("64 px in 40×10 cells: %d×%d", cols, rows)
	}
	plain := RenderImage(img, cols, rows, termenv.Ascii)
	if len(plain) != rows || strings.ContainsRune(strings.Join(plain, ""), '\x1b') || strings.TrimSpace(strings.Join(plain, "")) == "" {
		t.Errorf("ASCII fallback:\n%s", strings.Join(plain, "\n"))
	}
	colour := RenderImage(img, cols, rows, termenv.TrueColor)
	if !strings.Contains(colour[0], "▀") || !strings.Contains(colour[0], "38;2;") || !strings.Contains(colour[0], "48;2;") {
		t.Errorf("true colour half blocks: %q", colour[0][:60])
	}
	c256 := RenderImage(img, cols, rows, termenv.ANSI256)
	if !strings.Contains(c256[0], "38;5;") {
		t.Errorf("256 colours: %q", c256[0][:40])
	}
}

func TestResampleAndTable(t *testing.T) {
	got := Resample([]Point{{X: 1, Y: 1}, {X: 3, Y: 3}}, 1, 5, 5)
	if got[0] != 1 || got[1] != 2 || got[2] != 3 || !math.IsNaN(got[3]) || !math.IsNaN(got[4]) {
		t.Errorf("Resample %v", got)
	}
	tb := Table{Header: []string{"a", "bbbbbbbb", "c"}, Rows: [][]string{{"1", "2", "3"}}, Drop: []int{1}, Flex: -1}
	hd, rows := tb.Lines(8)
	if hd != "a  c" || rows[0] != "1  3" {
		t.Errorf("dropped column: %q %q", hd, rows)
	}
}

// Smoothing draws the smoothed curve over the raw values, which stay
// visible as faint dots.
func TestSmoothedChartKeepsRawValues(t *testing.T) {
	st := common.DefaultStyles(labtest.PlainRenderer())
	st.Series = nil // no colour: the characters tell the series apart
	var pts []Point
	for i := 1; i <= 12; i++ {
		y := 1.0
		if i%2 == 0 {
			y = 3 // a jagged curve: smoothing moves it away from its points
		}
		pts = append(pts, Point{float64(i), y})
	}
	cv := ChartView{Title: "loss", Curves: []Curve{{Label: "train", Points: pts}}}
	if plain := RenderChart(st, cv, 60, 14); strings.Contains(plain, "·") {
		t.Fatalf("raw dots without smoothing:\n%s", plain)
	}
	cv.Smooth = true
	out := RenderChart(st, cv, 60, 14)
	if !strings.Contains(out, "·") || !strings.Contains(out, "•") {
		t.Errorf("smoothed chart lacks the raw dots or the curve:\n%s", out)
	}
}

// The legend wraps, one entry per run; when even that is too tall, the
// last line counts the runs it leaves out (it said "… and 12 more" of 12
// runs with some shown).
func TestLegendWrapsAndCountsTheRest(t *testing.T) {
	st := common.DefaultStyles(labtest.PlainRenderer())
	st.Series = nil
	var curves []Curve
	for i := range 12 {
		curves = append(curves, Curve{Label: fmt.Sprintf("run-%02d-with-a-long-name r50", i), Points: []Point{{1, float64(i)}, {2, float64(i + 1)}}})
	}
	out := RenderChart(st, ChartView{Title: "val_acc", Curves: curves[:4]}, 80, 20)
	for _, c := range curves[:4] {
		if !strings.Contains(out, c.Label) {
			t.Errorf("the legend lacks %q:\n%s", c.Label, out)
		}
	}
	out = RenderChart(st, ChartView{Title: "val_acc", Curves: curves}, 80, 12)
	named := 0
	for _, c := range curves {
		if strings.Contains(out, c.Label) {
			named++
		}
	}
	if want := fmt.Sprintf("… and %d more", len(curves)-named); named == 0 || !strings.Contains(out, want) {
		t.Errorf("%d runs named; the legend should end %q:\n%s", named, want, out)
	}
}
