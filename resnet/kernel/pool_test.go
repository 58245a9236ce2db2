package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runMaxPool returns y and ∂(Σ r·y)/∂x for MaxPool2D or gorgonia's.
func runMaxPool(t *testing.T, shape tensor.Shape, x []float32, k, stride, pad int, ours bool) (y, dx []float32) {
	t.Helper()
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(shape...), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), x...)))))
	var yn *G.Node
	var err error
	if ours {
		yn, err = MaxPool2D(xn, k, stride, pad)
	} else {
		yn, err = G.MaxPool2D(xn, tensor.Shape{k, k}, []int{pad, pad}, []int{stride, stride})
	}
	if err != nil {
		t.Fatal(err)
	}
	loss, err := gradcheck.WeightedSum(g, yn, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	return gradcheck.ValueAndGrad(t, g, loss, yn, xn)
}

func TestMaxPool2DMatchesGorgonia(t *testing.T) {
	for i, c := range []struct {
		shape          tensor.Shape
		k, stride, pad int
	}{
		{tensor.Shape{2, 3, 8, 8}, 3, 2, 1}, // ResNet's stem pool
		{tensor.Shape{1, 2, 7, 7}, 3, 2, 1}, // odd size
		{tensor.Shape{3, 1, 9, 6}, 3, 2, 1},
		{tensor.Shape{2, 2, 6, 6}, 2, 2, 0},
		{tensor.Shape{1, 3, 5, 5}, 3, 1, 1},
		{tensor.Shape{8, 64, 28, 28}, 3, 2, 1}, // several planes per core
	} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			x := gradcheck.RandomValues(c.shape.TotalSize(), rand.New(rand.NewPCG(uint64(i), 1)))
			wantY, wantDx := runMaxPool(t, c.shape, x, c.k, c.stride, c.pad, false)
			y, dx := runMaxPool(t, c.shape, x, c.k, c.stride, c.pad, true)
			if d, at := closeTo(y, wantY); d > 0 {
				t.Errorf("y differs by %.3g at %d", d, at)
			}
			if d, at := closeTo(dx, wantDx); d > 1e-6 {
				t.Errorf("dx differs by %.3g at %d", d, at)
			}
		})
	}
}

func TestGradMaxPool2D(t *testing.T) {
	shape := tensor.Shape{2, 2, 5, 5}
	gradcheck.Check(t, "max-pool", shape, gradcheck.RandomValues(shape.TotalSize(), rand.New(rand.NewPCG(1, 2))), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		y, err := MaxPool2D(x, 3, 2, 1)
		if err != nil {
			return nil, err
		}
		return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 2e-3)
}

func TestMaxPool2DTiesGoFirst(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{1, 1, 1, 1}))))
	y, err := MaxPool2D(x, 2, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := G.Sum(y)
	if err != nil {
		t.Fatal(err)
	}
	_, got := gradcheck.ValueAndGrad(t, g, s, y, x)
	if got[0] != 1 || got[1]+got[2]+got[3] != 0 {
		t.Errorf("gradient %v, want all of it on the first element", got)
	}
}

// TestMaxPool3x3TiesGoFirst checks the 3×3 fast path's tie rule: the
// gradient of a window whose maximum appears more than once goes to its
// first place in row-major order, as gorgonia's and PyTorch's.
func TestMaxPool3x3TiesGoFirst(t *testing.T) {
	// A 5×5 plane of zeros with the value 2 at (1,3) and (3,1): the centre
	// window (rows 1–3, columns 1–3 at stride 2 with padding 1) holds both.
	x := make([]float32, 25)
	x[1*5+3], x[3*5+1] = 2, 2
	p := poolGeom{planes: 1, h: 5, w: 5, ho: 3, wo: 3, k: 3, stride: 2, pad: 1}
	dy := make([]float32, 9)
	dy[4] = 1 // the centre window's output
	y, dx := make([]float32, 9), make([]float32, 25)
	p.forward3(x, y, make([]float32, 5))
	p.gradient(x, y, dy, dx)
	if dx[1*5+3] != 1 || dx[3*5+1] != 0 {
		t.Errorf("centre window's gradient at (1,3) %v and (3,1) %v, want 1 and 0", dx[1*5+3], dx[3*5+1])
	}
}

// BenchmarkMaxPoolStem times the stem pool's forward pass and its
// gradient on ResNet's 112×112×64 maps, batch 8.
func BenchmarkMaxPoolStem(b *testing.B) {
	p := poolGeom{planes: 8 * 64, h: 112, w: 112, ho: 56, wo: 56, k: 3, stride: 2, pad: 1}
	x := gradcheck.RandomValues(p.planes*p.h*p.w, rand.New(rand.NewPCG(1, 2)))
	y, dy := make([]float32, p.planes*p.ho*p.wo), make([]float32, p.planes*p.ho*p.wo)
	dx, rows := make([]float32, len(x)), make([]float32, p.w)
	plane := func(s []float32, pl, n int) []float32 { return s[pl*n : (pl+1)*n] }
	forward := func() {
		for pl := range p.planes {
			p.forward3(plane(x, pl, p.h*p.w), plane(y, pl, p.ho*p.wo), rows)
		}
	}
	forward()
	b.Run("forward", func(b *testing.B) {
		for range b.N {
			forward()
		}
	})
	b.Run("gradient", func(b *testing.B) {
		for range b.N {
			for pl := range p.planes {
				p.gradient(plane(x, pl, p.h*p.w), plane(y, pl, p.ho*p.wo), plane(dy, pl, p.ho*p.wo), plane(dx, pl, p.h*p.w))
			}
		}
	})
}
