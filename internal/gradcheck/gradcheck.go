// Package gradcheck checks gorgonia gradients against central finite
// differences. It is imported by tests only: the kernels' own ops are
// checked in resnet/kernel, whole residual blocks in resnet.
package gradcheck

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Check compares the symbolic gradient of a scalar function of one input
// with central finite differences, in float64 arithmetic over float32 values.
// build receives the input node and returns the scalar output.
func Check(t testing.TB, name string, shape tensor.Shape, x0 []float32, build func(g *G.ExprGraph, x *G.Node) (*G.Node, error), tol float64) {
	t.Helper()
	eval := func(x []float32, wantGrad bool) (float64, []float32) {
		g := G.NewGraph()
		xn := G.NewTensor(g, tensor.Float32, shape.Dims(), G.WithShape(shape...), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), x...)))))
		out, err := build(g, xn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var grads G.Nodes
		if wantGrad {
			if grads, err = G.Grad(out, xn); err != nil {
				t.Fatalf("%s: grad: %v", name, err)
			}
		}
		vm := G.NewTapeMachine(g)
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatalf("%s: run: %v", name, err)
		}
		y := float64(out.Value().Data().(float32))
		if !wantGrad {
			return y, nil
		}
		return y, append([]float32(nil), grads[0].Value().Data().([]float32)...)
	}
	_, analytic := eval(x0, true)
	const h = 1e-2
	var worst float64
	for i := range x0 {
		plus := append([]float32(nil), x0...)
		minus := append([]float32(nil), x0...)
		plus[i] += h
		minus[i] -= h
		fp, _ := eval(plus, false)
		fm, _ := eval(minus, false)
		numeric := (fp - fm) / (2 * h)
		diff := math.Abs(numeric-float64(analytic[i])) / math.Max(1, math.Abs(numeric))
		worst = math.Max(worst, diff)
		if diff > tol {
			t.Errorf("%s: d/dx[%d] = %.6g, finite difference %.6g", name, i, analytic[i], numeric)
			return
		}
	}
	t.Logf("%s: worst relative difference %.3g", name, worst)
}

// WeightedSum reduces a node to a scalar with fixed random weights, so every
// output element's gradient is exercised with a different upstream value.
func WeightedSum(g *G.ExprGraph, y *G.Node, rng *rand.Rand) (*G.Node, error) {
	w := make([]float32, y.Shape().TotalSize())
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	wn := G.NewTensor(g, tensor.Float32, y.Dims(), G.WithShape(y.Shape().Clone()...), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(y.Shape().Clone()...), tensor.WithBacking(w))))
	p, err := G.HadamardProd(y, wn)
	if err != nil {
		return nil, err
	}
	return G.Sum(p)
}

// RandomValues are n standard normal values.
func RandomValues(n int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// Const is a graph input holding fixed values.
func Const(g *G.ExprGraph, name string, shape tensor.Shape, values []float32) *G.Node {
	return G.NewTensor(g, tensor.Float32, shape.Dims(), G.WithShape(shape.Clone()...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(values))))
}

// ValueAndGrad differentiates the scalar loss with respect to x, runs the
// graph once and returns y's values and x's gradient (copies): the forward
// and backward of an op under test, for comparing with reference values.
func ValueAndGrad(t testing.TB, g *G.ExprGraph, loss, y, x *G.Node) (values, grad []float32) {
	t.Helper()
	grads, err := G.Grad(loss, x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	var v []float32
	switch d := y.Value().Data().(type) {
	case []float32:
		v = append(v, d...)
	case float32:
		v = []float32{d}
	}
	return v, append([]float32(nil), grads[0].Value().Data().([]float32)...)
}
