package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradCheck compares the symbolic gradient of a scalar function of one input
// with central finite differences, in float64 arithmetic over float32 values.
// build receives the input node and returns the scalar output.
func gradCheck(t *testing.T, name string, shape tensor.Shape, x0 []float32, build func(g *G.ExprGraph, x *G.Node) (*G.Node, error), tol float64) {
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

// weightedSum reduces a node to a scalar with fixed random weights, so every
// output element's gradient is exercised with a different upstream value.
func weightedSum(g *G.ExprGraph, y *G.Node, rng *rand.Rand) (*G.Node, error) {
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

func randomValues(n int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func TestGradELU(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{3, 5}
	gradCheck(t, "elu", shape, randomValues(15, rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		y, err := ELU(x)
		if err != nil {
			return nil, err
		}
		return weightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 2e-3)
}

func TestGradGlobalAvgPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{2, 3, 2, 3}
	gradCheck(t, "gap", shape, randomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		y, err := GlobalAvgPool(x)
		if err != nil {
			return nil, err
		}
		return weightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 2e-3)
}

func TestGradBatchNormTrain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{3, 2, 2, 2}
	gradCheck(t, "batchnorm", shape, randomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		bn := newBatchNorm("bn", 2)
		copy(bn.gamma.Data(), []float32{1.5, 0.7})
		copy(bn.beta.Data(), []float32{0.1, -0.2})
		gamma := G.NewTensor(g, tensor.Float32, 1, G.WithShape(2), G.WithName("gamma"), G.WithValue(bn.gamma.data))
		beta := G.NewTensor(g, tensor.Float32, 1, G.WithShape(2), G.WithName("beta"), G.WithValue(bn.beta.data))
		y, err := bn.apply(x, gamma, beta, bnEpilogue{}, true)
		if err != nil {
			return nil, err
		}
		return weightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 5e-3)
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{3, 4}
	target := oneHot([]int{0, 3, 2}, 4)
	gradCheck(t, "cross-entropy", shape, randomValues(12, rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		tn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(3, 4), G.WithName("t"),
			G.WithValue(tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(target))))
		return SoftmaxCrossEntropy(x, tn)
	}, 2e-3)
}

func TestGradAddBiasAndLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{4}
	x := randomValues(6, rng)
	w := randomValues(12, rng)
	gradCheck(t, "add-bias (bias)", shape, randomValues(4, rng), func(g *G.ExprGraph, b *G.Node) (*G.Node, error) {
		xn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 3), G.WithName("in"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(x))))
		wn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(3, 4), G.WithName("W"), G.WithValue(tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(w))))
		y, err := G.Mul(xn, wn)
		if err != nil {
			return nil, err
		}
		if y, err = AddBias(y, b); err != nil {
			return nil, err
		}
		return weightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 2e-3)
}

// TestGradResidualBlock checks a whole BasicBlock with a projection shortcut
// (conv, training-mode BatchNorm, ReLU, add), the unit every ResNet repeats.
func TestGradResidualBlock(t *testing.T) {
	cfg := Config{Depth: 18, Width: 2, InputSize: 32, Classes: 2, Pooling: PoolAvg, Mode: ModeScratch}
	net := newNetwork(cfg, rand.New(rand.NewPCG(5, 6)))
	blk := net.stages[1][0] // stride 2, 2→4 channels, projection shortcut
	if blk.downConv == nil {
		t.Fatal("expected a projection shortcut in layer2.0")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	shape := tensor.Shape{2, 2, 4, 4}
	gradCheck(t, "residual block", shape, randomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		b := &graphBuilder{g: g, cfg: cfg, training: true, nodes: map[*Param]*G.Node{}}
		out, err := b.block(blk, x)
		if err != nil {
			return nil, err
		}
		return weightedSum(g, out, rand.New(rand.NewPCG(3, 4)))
	}, 1e-3)
}

// TestGradBatchNormEpilogues checks the fused shortcut addition and ReLU,
// with the shortcut being the normalised input itself (an identity block's
// x feeds both branch and shortcut, so gorgonia adds two gradients).
func TestGradBatchNormEpilogues(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	shape := tensor.Shape{3, 2, 2, 2}
	for _, tc := range []struct {
		name     string
		residual bool
		relu     bool
	}{{"relu", false, true}, {"add", true, false}, {"add+relu", true, true}} {
		gradCheck(t, "batchnorm+"+tc.name, shape, randomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
			bn := newBatchNorm("bn", 2)
			copy(bn.gamma.Data(), []float32{1.5, 0.7})
			copy(bn.beta.Data(), []float32{0.1, -0.2})
			gamma := G.NewTensor(g, tensor.Float32, 1, G.WithShape(2), G.WithName("gamma"), G.WithValue(bn.gamma.data))
			beta := G.NewTensor(g, tensor.Float32, 1, G.WithShape(2), G.WithName("beta"), G.WithValue(bn.beta.data))
			epi := bnEpilogue{relu: tc.relu}
			if tc.residual {
				epi.residual = x
			}
			y, err := bn.apply(x, gamma, beta, epi, true)
			if err != nil {
				return nil, err
			}
			return weightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
		}, 5e-3)
	}
}
