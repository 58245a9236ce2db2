package kernel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/reslab/reslab/resnet/kernel/simd"
)

// reslabAsLibrary is a library that computes with reslab's own kernels, so
// that what run does around a library (the epilogue, the fallback) can be
// checked exactly in every build. lacks makes it refuse the shapes.
type reslabAsLibrary struct {
	g     *convGeom
	lacks bool
	calls int
}

func (l *reslabAsLibrary) run(p convPass, a, b, out []float32) error {
	l.calls++
	if l.lacks {
		return fmt.Errorf("conv2d: %w", errLibraryLacksShapes)
	}
	switch p {
	case passForward:
		l.g.forward(a, b, out)
	case passBackwardData:
		l.g.backwardData(a, b, out)
	default:
		l.g.backwardWeights(a, b, out)
	}
	return nil
}

func withLibrary(g *convGeom, lib libraryConv) *convGeom {
	g.libChosen, g.lib = true, lib
	return g
}

// TestLibraryForwardAppliesTheEpilogue: an inference convolution on a
// library gets the same folded BatchNorm, shortcut and ReLU as on reslab's
// kernels, where the epilogue runs inside each task.
func TestLibraryForwardAppliesTheEpilogue(t *testing.T) {
	c := convCase{3, 5, 9, 11, 6, 3, 2, 1}
	x, w := c.values(3)
	plain := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
	g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
	lib := &reslabAsLibrary{g: plain}
	withLibrary(g, lib)
	size := c.n * c.cout * g.p
	epi := &convEpilogue{relu: true, residual: make([]float32, size)}
	for o := 0; o < c.cout; o++ {
		epi.scale = append(epi.scale, 0.5+float32(o))
		epi.shift = append(epi.shift, float32(o)-2)
	}
	for i := range epi.residual {
		epi.residual[i] = float32(i%7) - 3
	}
	want, got := make([]float32, size), make([]float32, size)
	plain.forwardWith(x, w, want, epi)
	if err := g.run(passForward, x, w, got, epi); err != nil {
		t.Fatal(err)
	}
	if lib.calls != 1 {
		t.Fatalf("the library ran %d times, want 1", lib.calls)
	}
	if !slices.Equal(got, want) {
		d, at := closeTo(got, want)
		t.Errorf("with the epilogue after the library's product: differs by %.3g at %d", d, at)
	}
}

// TestLibraryLackingShapesFallsBackToReslab: a convolution the library has
// no implementation for runs on reslab's kernels, and the library is not
// asked again; any other library error is the op's error.
func TestLibraryLackingShapesFallsBackToReslab(t *testing.T) {
	c := convCase{2, 3, 15, 15, 5, 7, 2, 3}
	x, w := c.values(4)
	plain := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
	want := make([]float32, c.n*c.cout*plain.p)
	plain.forward(x, w, want)

	lib := &reslabAsLibrary{g: plain, lacks: true}
	g := withLibrary(newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad), lib)
	for range 2 {
		got := make([]float32, len(want))
		if err := g.run(passForward, x, w, got, nil); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Error("the fallback's output differs from reslab's kernels")
		}
	}
	if lib.calls != 1 {
		t.Errorf("the library was asked %d times, want once", lib.calls)
	}

	broken := errors.New("oneDNN convolution forward, primitive: out of memory")
	g = withLibrary(newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad), failingLibrary{broken})
	if err := g.run(passForward, x, w, make([]float32, len(want)), nil); !errors.Is(err, broken) {
		t.Errorf("a failing library: %v, want its error", err)
	}
}

type failingLibrary struct{ err error }

func (f failingLibrary) run(convPass, []float32, []float32, []float32) error { return f.err }

func TestUseConvolutions(t *testing.T) {
	defer UseConvolutions("")
	if err := UseConvolutions(reslabConvolutions); err != nil || Convolution() != reslabConvolutions {
		t.Errorf("reslab: %v, in use %q", err, Convolution())
	}
	if err := UseConvolutions("cudnn"); err == nil {
		t.Error("cudnn was accepted")
	}
	if err := UseConvolutions(""); err != nil || Convolution() != Convolutions()[0] {
		t.Errorf("the default: %v, in use %q, want %q", err, Convolution(), Convolutions()[0])
	}
}

// TestArithmeticNamesTheSumOrder checks that a run's recorded arithmetic
// names the order reslab's kernels sum in, and leaves it out for a
// library's product, whose order is the library's.
func TestArithmeticNamesTheSumOrder(t *testing.T) {
	defer UseProduct("")
	for _, name := range Products() {
		if err := UseProduct(name); err != nil {
			t.Fatal(err)
		}
		got := Arithmetic()
		ours := activeKernel.Load() != nil
		if ours != strings.Contains(got, simd.SumOrder) {
			t.Errorf("product %s (reslab's kernel: %v): arithmetic %q", name, ours, got)
		}
		// Winograd's F(2×2, 3×3) runs on reslab's kernels only, and sums
		// otherwise than im2col: it is named where it runs.
		if wino := ours && !libraryConvsOn.Load(); wino != strings.Contains(got, "Winograd") {
			t.Errorf("product %s (Winograd runs: %v): arithmetic %q", name, wino, got)
		}
		winogradConvs = false
		if got := Arithmetic(); strings.Contains(got, "Winograd") {
			t.Errorf("product %s, Winograd off: arithmetic %q", name, got)
		}
		winogradConvs = true
	}
}
