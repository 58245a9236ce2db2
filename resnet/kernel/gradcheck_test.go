package kernel

import (
	"math/rand/v2"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestGradELU(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{3, 5}
	gradcheck.Check(t, "elu", shape, gradcheck.RandomValues(15, rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		y, err := ELU(x)
		if err != nil {
			return nil, err
		}
		return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 2e-3)
}

func TestGradGlobalAvgPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{2, 3, 2, 3}
	gradcheck.Check(t, "gap", shape, gradcheck.RandomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		y, err := GlobalAvgPool(x)
		if err != nil {
			return nil, err
		}
		return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 2e-3)
}

func TestGradBatchNormTrain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{3, 2, 2, 2}
	gradcheck.Check(t, "batchnorm", shape, gradcheck.RandomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		bn := NewBatchNorm("bn", 2)
		gamma := gradcheck.Const(g, "gamma", tensor.Shape{2}, []float32{1.5, 0.7})
		beta := gradcheck.Const(g, "beta", tensor.Shape{2}, []float32{0.1, -0.2})
		y, err := bn.Apply(x, gamma, beta, Epilogue{}, true)
		if err != nil {
			return nil, err
		}
		return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 5e-3)
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{3, 4}
	target := []float32{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0} // one-hot 0, 3, 2
	gradcheck.Check(t, "cross-entropy", shape, gradcheck.RandomValues(12, rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		tn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(3, 4), G.WithName("t"),
			G.WithValue(tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(target))))
		return SoftmaxCrossEntropy(x, tn)
	}, 2e-3)
}

func TestGradAddBiasAndLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := tensor.Shape{4}
	x := gradcheck.RandomValues(6, rng)
	w := gradcheck.RandomValues(12, rng)
	gradcheck.Check(t, "add-bias (bias)", shape, gradcheck.RandomValues(4, rng), func(g *G.ExprGraph, b *G.Node) (*G.Node, error) {
		xn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 3), G.WithName("in"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(x))))
		wn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(3, 4), G.WithName("W"), G.WithValue(tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(w))))
		y, err := G.Mul(xn, wn)
		if err != nil {
			return nil, err
		}
		if y, err = AddBias(y, b); err != nil {
			return nil, err
		}
		return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	}, 2e-3)
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
		gradcheck.Check(t, "batchnorm+"+tc.name, shape, gradcheck.RandomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
			bn := NewBatchNorm("bn", 2)
			gamma := gradcheck.Const(g, "gamma", tensor.Shape{2}, []float32{1.5, 0.7})
			beta := gradcheck.Const(g, "beta", tensor.Shape{2}, []float32{0.1, -0.2})
			epi := Epilogue{ReLU: tc.relu}
			if tc.residual {
				epi.Residual = x
			}
			y, err := bn.Apply(x, gamma, beta, epi, true)
			if err != nil {
				return nil, err
			}
			return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
		}, 5e-3)
	}
}
