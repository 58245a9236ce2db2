package engine

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNorm defaults, PyTorch's.
const (
	bnMomentum = 0.1
	bnEpsilon  = 1e-5
)

// batchNorm is one BatchNorm layer's state outside any graph. gorgonia keeps
// running statistics on its op and resets them whenever a training tape is
// built; reslab keeps them here instead, so the training graph, the inference
// graph and checkpoints all see the same numbers, and rebuilding a graph (for
// another micro-batch size) loses nothing.
type batchNorm struct {
	prefix      string // tensor name prefix, such as "layer1.0.bn1"
	gamma, beta *Param
	runningMean []float32
	runningVar  []float32
	numBatches  int64 // torchvision's num_batches_tracked

	// Per-channel statistics of the latest training forward pass, read by
	// its backward pass.
	batchMean, batchInvStd []float32
}

func newBatchNorm(prefix string, channels int) *batchNorm {
	bn := &batchNorm{
		prefix:      prefix,
		gamma:       newParam(prefix+".weight", tensor.Shape{channels}),
		beta:        newParam(prefix+".bias", tensor.Shape{channels}),
		runningMean: make([]float32, channels),
		runningVar:  make([]float32, channels),
		batchMean:   make([]float32, channels),
		batchInvStd: make([]float32, channels),
	}
	for i := range bn.runningVar {
		bn.runningVar[i] = 1
		bn.gamma.Data()[i] = 1
	}
	return bn
}

// apply normalises an (N, C, H, W) node. In training mode it uses the batch's
// statistics and updates the running ones (momentum 0.1, unbiased variance,
// as PyTorch); otherwise it uses the running statistics and has no gradient.
func (bn *batchNorm) apply(x, gamma, beta *G.Node, training bool) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 || s[1] != len(bn.runningMean) {
		return nil, fmt.Errorf("%s: input shape %v, want (N, %d, H, W)", bn.prefix, s, len(bn.runningMean))
	}
	n, c, hw := s[0], s[1], s[2]*s[3]
	mode := "eval"
	if training {
		mode = "train"
	}
	op := newKernelOp("batchnorm-"+mode+"("+bn.prefix+")", []int{4, 1, 1}, 4)
	op.shape = sameShape
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := newDense(s)
		xs, ys, gs, bs := f32(in[0]), f32(out), f32(in[1]), f32(in[2])
		if training && n*hw < 2 {
			return nil, fmt.Errorf("%s: batch statistics need more than one value per channel, got input %v", bn.prefix, s)
		}
		parallelFor(c, 1, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var mean, invStd float64
				if training {
					mean, invStd = bn.trainStats(xs, ch, n, c, hw)
				} else {
					mean = float64(bn.runningMean[ch])
					invStd = 1 / math.Sqrt(float64(bn.runningVar[ch])+bnEpsilon)
				}
				scale := float32(invStd) * gs[ch]
				shift := bs[ch] - float32(mean)*scale
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					src, dst := xs[off:off+hw], ys[off:off+hw]
					for j, v := range src {
						dst[j] = v*scale + shift
					}
				}
			}
		})
		if training {
			bn.numBatches++
		}
		return out, nil
	}
	if training {
		op.wrt = []bool{true, true, true}
		op.grad = func(inputs G.Nodes, _, dy *G.Node) (G.Nodes, error) {
			return bn.gradients(inputs, dy, n, c, hw)
		}
	}
	return op.apply(x, gamma, beta)
}

// trainStats computes one channel's batch mean and inverse standard
// deviation (in float64, for accuracy on large batches), keeps them for the
// backward pass and folds them into the running statistics.
func (bn *batchNorm) trainStats(xs []float32, ch, n, c, hw int) (mean, invStd float64) {
	var sum, sumSq float64
	for i := 0; i < n; i++ {
		off := (i*c + ch) * hw
		for _, v := range xs[off : off+hw] {
			sum += float64(v)
		}
	}
	count := float64(n * hw)
	mean = sum / count
	for i := 0; i < n; i++ {
		off := (i*c + ch) * hw
		for _, v := range xs[off : off+hw] {
			d := float64(v) - mean
			sumSq += d * d
		}
	}
	variance := sumSq / count
	invStd = 1 / math.Sqrt(variance+bnEpsilon)
	bn.batchMean[ch] = float32(mean)
	bn.batchInvStd[ch] = float32(invStd)
	unbiased := sumSq / (count - 1)
	bn.runningMean[ch] = float32((1-bnMomentum)*float64(bn.runningMean[ch]) + bnMomentum*mean)
	bn.runningVar[ch] = float32((1-bnMomentum)*float64(bn.runningVar[ch]) + bnMomentum*unbiased)
	return mean, invStd
}

// channelSums returns Σdy and Σdy·x̂ over one channel, the two reductions
// every BatchNorm gradient needs.
func (bn *batchNorm) channelSums(xs, dys []float32, ch, n, c, hw int) (sumDy, sumDyXhat float64) {
	mean, invStd := bn.batchMean[ch], bn.batchInvStd[ch]
	for i := 0; i < n; i++ {
		off := (i*c + ch) * hw
		dyRow := dys[off : off+hw]
		for j, v := range xs[off : off+hw] {
			d := float64(dyRow[j])
			sumDy += d
			sumDyXhat += d * float64((v-mean)*invStd)
		}
	}
	return sumDy, sumDyXhat
}

// gradients builds the nodes for ∂L/∂x, ∂L/∂γ and ∂L/∂β of a training-mode
// BatchNorm: with x̂ = (x−μ)/σ and M values per channel,
// ∂L/∂β = Σdy, ∂L/∂γ = Σdy·x̂, ∂L/∂x = γ/(σM)·(M·dy − Σdy − x̂·Σdy·x̂).
func (bn *batchNorm) gradients(inputs G.Nodes, dy *G.Node, n, c, hw int) (G.Nodes, error) {
	x, gamma := inputs[0], inputs[1]
	shape := x.Shape().Clone()
	count := float64(n * hw)

	dxOp := newKernelOp("batchnorm-grad-x("+bn.prefix+")", []int{4, 1, 4}, 4)
	dxOp.shape = sameShape
	dxOp.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := newDense(shape)
		xs, gs, dys, dxs := f32(in[0]), f32(in[1]), f32(in[2]), f32(out)
		parallelFor(c, 1, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				sumDy, sumDyXhat := bn.channelSums(xs, dys, ch, n, c, hw)
				mean, invStd := bn.batchMean[ch], bn.batchInvStd[ch]
				k := gs[ch] * invStd
				meanDy := float32(sumDy / count)
				meanDyXhat := float32(sumDyXhat / count)
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					dyRow, dxRow := dys[off:off+hw], dxs[off:off+hw]
					for j, v := range xs[off : off+hw] {
						xhat := (v - mean) * invStd
						dxRow[j] = k * (dyRow[j] - meanDy - xhat*meanDyXhat)
					}
				}
			}
		})
		return out, nil
	}
	dx, err := dxOp.apply(x, gamma, dy)
	if err != nil {
		return nil, err
	}

	paramGrad := func(name string, pick func(sumDy, sumDyXhat float64) float64) (*G.Node, error) {
		op := newKernelOp(name+"("+bn.prefix+")", []int{4, 4}, 1)
		op.shape = func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{c}, nil }
		op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := newDense(tensor.Shape{c})
			xs, dys, ds := f32(in[0]), f32(in[1]), f32(out)
			parallelFor(c, 1, func(lo, hi int) {
				for ch := lo; ch < hi; ch++ {
					ds[ch] = float32(pick(bn.channelSums(xs, dys, ch, n, c, hw)))
				}
			})
			return out, nil
		}
		return op.apply(x, dy)
	}
	dGamma, err := paramGrad("batchnorm-grad-gamma", func(_, s float64) float64 { return s })
	if err != nil {
		return nil, err
	}
	dBeta, err := paramGrad("batchnorm-grad-beta", func(s, _ float64) float64 { return s })
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dGamma, dBeta}, nil
}
