package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ElementGrain is the number of elements below which an element-wise kernel
// stays on one goroutine.
const ElementGrain = 1 << 14

// ELU applies the exponential linear unit with α = 1 (the reference head's
// activation): x for x > 0, exp(x) − 1 otherwise. gorgonia has no ELU.
func ELU(x *G.Node) (*G.Node, error) {
	op := newKernelOp("elu", []int{x.Dims()}, x.Dims())
	op.shape = sameShape
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(in[0].Shape(), false)
		xs, ys := Floats(in[0]), Floats(out)
		ParallelFor(len(xs), ElementGrain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if v := xs[i]; v > 0 {
					ys[i] = v
				} else {
					ys[i] = float32(math.Expm1(float64(v)))
				}
			}
		})
		return out, nil
	}
	op.wrt = []bool{true}
	op.grad = func(inputs G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		g := newKernelOp("elu-grad", []int{x.Dims(), x.Dims()}, x.Dims())
		g.shape = sameShape
		g.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := g.output(in[0].Shape(), false)
			xs, gs, ds := Floats(in[0]), Floats(in[1]), Floats(out)
			ParallelFor(len(xs), ElementGrain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					if v := xs[i]; v > 0 {
						ds[i] = gs[i]
					} else {
						ds[i] = gs[i] * float32(math.Exp(float64(v)))
					}
				}
			})
			return out, nil
		}
		dx, err := g.apply(inputs[0], dy)
		return G.Nodes{dx}, err
	}
	return op.apply(x)
}

// Dropout zeroes each element with probability rate and scales the survivors
// by 1/(1−rate), so the expected activation is unchanged and inference needs
// no rescaling. gorgonia's own dropout scales its gradient by 1/rate, which is
// wrong for any rate but 0.5. The mask is drawn from rng on every forward
// pass and kept for the backward pass of the same step.
func Dropout(x *G.Node, rate float64, rng *rand.Rand) (*G.Node, error) {
	if rate < 0 || rate >= 1 {
		return nil, fmt.Errorf("dropout rate %v: want 0 <= rate < 1", rate)
	}
	if rate == 0 {
		return x, nil
	}
	var mask []float32
	scale := float32(1 / (1 - rate))
	op := newKernelOp(fmt.Sprintf("dropout(%g)", rate), []int{x.Dims()}, x.Dims())
	op.shape = sameShape
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(in[0].Shape(), false)
		xs, ys := Floats(in[0]), Floats(out)
		if len(mask) != len(xs) {
			mask = make([]float32, len(xs))
		}
		for i := range mask {
			if rng.Float64() < rate {
				mask[i] = 0
			} else {
				mask[i] = scale
			}
		}
		for i, v := range xs {
			ys[i] = v * mask[i]
		}
		return out, nil
	}
	op.wrt = []bool{true}
	op.grad = func(_ G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		g := newKernelOp("dropout-grad", []int{x.Dims()}, x.Dims())
		g.shape = sameShape
		g.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := g.output(in[0].Shape(), false)
			gs, ds := Floats(in[0]), Floats(out)
			for i, v := range gs {
				ds[i] = v * mask[i]
			}
			return out, nil
		}
		dx, err := g.apply(dy)
		return G.Nodes{dx}, err
	}
	return op.apply(x)
}

// GlobalAvgPool averages each channel of an (N, C, H, W) tensor to (N, C),
// torchvision's adaptive average pool to 1×1 followed by flatten.
// gorgonia's GlobalAveragePool2D has no gradient.
func GlobalAvgPool(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("global average pool: input shape %v, want (N, C, H, W)", s)
	}
	n, c, hw := s[0], s[1], s[2]*s[3]
	op := newKernelOp("global-avg-pool", []int{4}, 2)
	op.shape = func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{n, c}, nil }
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(tensor.Shape{n, c}, false)
		xs, ys := Floats(in[0]), Floats(out)
		inv := 1 / float32(hw)
		ParallelFor(n*c, ElementGrain/max(hw, 1), func(lo, hi int) {
			for p := lo; p < hi; p++ {
				var sum float32
				for _, v := range xs[p*hw : (p+1)*hw] {
					sum += v
				}
				ys[p] = sum * inv
			}
		})
		return out, nil
	}
	op.wrt = []bool{true}
	op.grad = func(_ G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		g := newKernelOp("global-avg-pool-grad", []int{2}, 4)
		g.shape = func([]tensor.Shape) (tensor.Shape, error) { return s.Clone(), nil }
		g.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := g.output(s, false)
			gs, ds := Floats(in[0]), Floats(out)
			inv := 1 / float32(hw)
			for p, v := range gs {
				v *= inv
				row := ds[p*hw : (p+1)*hw]
				for i := range row {
					row[i] = v
				}
			}
			return out, nil
		}
		dx, err := g.apply(dy)
		return G.Nodes{dx}, err
	}
	return op.apply(x)
}

// AddBias adds a bias vector of length F to every row of an (N, F) matrix.
func AddBias(x, bias *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 2 || bias.Dims() != 1 || bias.Shape()[0] != s[1] {
		return nil, fmt.Errorf("add bias: shapes %v and %v, want (N, F) and (F)", s, bias.Shape())
	}
	rows, cols := s[0], s[1]
	op := newKernelOp("add-bias", []int{2, 1}, 2)
	op.shape = sameShape
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(s, false)
		xs, bs, ys := Floats(in[0]), Floats(in[1]), Floats(out)
		for r := 0; r < rows; r++ {
			for c, b := range bs {
				ys[r*cols+c] = xs[r*cols+c] + b
			}
		}
		return out, nil
	}
	op.wrt = []bool{true, true}
	op.grad = func(_ G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		g := newKernelOp("add-bias-grad", []int{2}, 1)
		g.shape = func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{cols}, nil }
		g.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := g.output(tensor.Shape{cols}, true) // sums rows into it
			gs, ds := Floats(in[0]), Floats(out)
			for r := 0; r < rows; r++ {
				for c := range ds {
					ds[c] += gs[r*cols+c]
				}
			}
			return out, nil
		}
		db, err := g.apply(dy)
		return G.Nodes{dy, db}, err
	}
	return op.apply(x, bias)
}

func sameShape(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
