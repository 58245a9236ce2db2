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
