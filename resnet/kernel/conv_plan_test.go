package kernel

import (
	"runtime"
	"testing"
)

// planKind names the plan the planner chose for a convolution: images
// grouped several per task, or one image per task split by output rows
// (forward, weight gradient) and by input channels (input gradient).
func planKind(g *convGeom) (grouped, rowSplit, chanSplit bool) {
	cols, data, _ := g.plan()
	for _, t := range cols {
		grouped = grouped || len(t.segs) > 1
	}
	rowSplit = !grouped && len(cols) > g.n
	chanSplit = !grouped && len(data) > g.n
	return grouped, rowSplit, chanSplit
}

// TestEveryConvPlanIsTaken runs one case per plan the planner can choose,
// at the real task sizes (no lowered scratch or column limits), asserts the
// plan it took and whether the input gradient is a convolution of its own
// (dataConv, every stride-1 3×3), and compares output and both gradients
// with gorgonia's. The per-image, channel-split input-gradient plan with
// several images is what strided convolutions of large planes take; the
// row split is every 56×56 layer of a 224 px ResNet, forward and (through
// dataConv) input gradient.
func TestEveryConvPlanIsTaken(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, c := range []struct {
		name                          string
		conv                          convCase
		grouped, rowSplit, chanSplits bool
		dataConv                      bool
	}{
		{"grouped small images", convCase{6, 8, 7, 7, 8, 3, 1, 1}, true, false, false, true},
		{"one image per task, whole", convCase{2, 4, 24, 24, 4, 3, 1, 1}, false, false, false, true},
		{"224 px layer1: row split, several images", convCase{2, 64, 56, 56, 64, 3, 1, 1}, false, true, true, true},
		{"strided 3×3 over a large plane: channel-split input gradient", convCase{2, 48, 112, 112, 8, 3, 2, 1}, false, true, true, false},
		{"direct 1×1 over a large plane, odd image count", convCase{3, 16, 40, 40, 8, 1, 1, 0}, false, true, true, false},
		{"strided 3×3, a whole image per task", convCase{2, 32, 64, 64, 16, 3, 2, 1}, false, false, false, false},
	} {
		g := newConvGeom(c.conv.n, c.conv.cin, c.conv.h, c.conv.w, c.conv.cout, c.conv.k, c.conv.stride, c.conv.pad)
		grouped, rows, chans := planKind(g)
		if grouped != c.grouped || rows != c.rowSplit || chans != c.chanSplits {
			t.Errorf("%s %v: plan grouped %v, row-split %v, channel-split %v; want %v %v %v",
				c.name, c.conv, grouped, rows, chans, c.grouped, c.rowSplit, c.chanSplits)
			continue
		}
		if d := g.dataConv(); (d != nil) != c.dataConv {
			t.Errorf("%s %v: input gradient as a convolution %v, want %v", c.name, c.conv, d != nil, c.dataConv)
			continue
		} else if d != nil && d.h != g.ho || d != nil && d.ho != g.h || d != nil && d.wo != g.w {
			t.Errorf("%s: the input gradient's convolution maps %d×%d to %d×%d, want %d×%d to %d×%d", c.name, d.h, d.w, d.ho, d.wo, g.ho, g.wo, g.h, g.w)
		}
		x, w := c.conv.values(11)
		wantY, wantDx, wantDw := runConv(t, c.conv, x, w, false)
		y, dx, dw := runConv(t, c.conv, x, w, true)
		for _, cmp := range []struct {
			what      string
			got, want []float32
		}{{"y", y, wantY}, {"dx", dx, wantDx}, {"dw", dw, wantDw}} {
			if d, at := closeTo(cmp.got, cmp.want); d > 1e-5 {
				t.Errorf("%s: %s differs from gorgonia by %.3g at %d", c.name, cmp.what, d, at)
			}
		}
	}
}
