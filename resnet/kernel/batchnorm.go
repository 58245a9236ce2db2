package kernel

import (
	"fmt"
	"math"

	"github.com/reslab/reslab/resnet/kernel/simd"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNorm defaults, PyTorch's.
const (
	bnMomentum = 0.1
	bnEpsilon  = 1e-5
)

// BatchNorm is one BatchNorm layer's state outside any graph: its running
// statistics. gorgonia keeps running statistics on its op and resets them
// whenever a training tape is built; reslab keeps them here instead, so the
// training graph, the inference graph and checkpoints all see the same
// numbers, and rebuilding a graph (for another micro-batch size) loses
// nothing. The layer's γ and β are graph inputs, owned by the model.
type BatchNorm struct {
	Name        string    // tensor name prefix, such as "layer1.0.bn1"
	RunningMean []float32 // per channel
	RunningVar  []float32 // per channel
	NumBatches  int64     // torchvision's num_batches_tracked

	// averaging makes training-mode passes fold their batch statistics into
	// a plain average instead of the momentum one (PyTorch's momentum=None);
	// before holds the statistics it replaced. See StartAveraging.
	averaging bool
	before    struct {
		mean, variance []float32
		batches        int64
	}

	// Per-channel statistics of the latest training forward pass, read by
	// its backward pass.
	batchMean, batchInvStd []float32
}

// NewBatchNorm starts a layer's running statistics as PyTorch does: mean 0,
// variance 1.
func NewBatchNorm(name string, channels int) *BatchNorm {
	bn := &BatchNorm{
		Name:        name,
		RunningMean: make([]float32, channels),
		RunningVar:  make([]float32, channels),
		batchMean:   make([]float32, channels),
		batchInvStd: make([]float32, channels),
	}
	for i := range bn.RunningVar {
		bn.RunningVar[i] = 1
	}
	return bn
}

// StartAveraging resets the running statistics and makes the training-mode
// passes that follow average their batch statistics with equal weights,
// until StopAveraging. This is torch.optim.swa_utils.update_bn's
// recalibration: after N batches the running mean is the mean of their N
// batch means (and the variance of their unbiased variances), so the
// statistics describe the current weights on those images, not a trail of
// earlier weights or another input size.
func (bn *BatchNorm) StartAveraging() {
	bn.before.mean = append(bn.before.mean[:0], bn.RunningMean...)
	bn.before.variance = append(bn.before.variance[:0], bn.RunningVar...)
	bn.before.batches = bn.NumBatches
	clear(bn.RunningMean)
	for i := range bn.RunningVar {
		bn.RunningVar[i] = 1
	}
	bn.NumBatches = 0
	bn.averaging = true
}

// StopAveraging returns to the momentum update, keeping the averaged
// statistics or, when keep is false (a pass that failed or saw no batch),
// putting back those StartAveraging replaced.
func (bn *BatchNorm) StopAveraging(keep bool) {
	if bn.averaging && !keep {
		copy(bn.RunningMean, bn.before.mean)
		copy(bn.RunningVar, bn.before.variance)
		bn.NumBatches = bn.before.batches
	}
	bn.averaging = false
}

// Epilogue is what follows a BatchNorm in the same op. A ResNet never
// normalises without then adding a shortcut and/or rectifying, and running
// those as gorgonia's own Add and Rectify costs two more passes over the
// activations, their allocations, a mask and a product in the backward pass,
// all on one core. Fused, the forward pass is one parallel pass after the
// statistics and the backward pass reads the output for the ReLU mask.
type Epilogue struct {
	Residual *G.Node // added after the affine transform; nil for none
	ReLU     bool    // max(0, ·) last
}

// Apply normalises an (N, C, H, W) node and applies the epilogue:
// y = relu(γ·x̂ + β + residual). In training mode x̂ uses the batch's
// statistics and the running ones are updated (momentum 0.1, unbiased
// variance, as PyTorch); otherwise it uses the running statistics and has no
// gradient.
func (bn *BatchNorm) Apply(x, gamma, beta *G.Node, epi Epilogue, training bool) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 || s[1] != len(bn.RunningMean) {
		return nil, fmt.Errorf("%s: input shape %v, want (N, %d, H, W)", bn.Name, s, len(bn.RunningMean))
	}
	if epi.Residual != nil && !epi.Residual.Shape().Eq(s) {
		return nil, fmt.Errorf("%s: shortcut shape %v differs from the branch's %v", bn.Name, epi.Residual.Shape(), s)
	}
	n, c, hw := s[0], s[1], s[2]*s[3]
	mode := "eval"
	if training {
		mode = "train"
	}
	name := "batchnorm"
	if epi.Residual != nil {
		name += "+add"
	}
	if epi.ReLU {
		name += "+relu"
	}
	inDims := []int{4, 1, 1}
	children := G.Nodes{x, gamma, beta}
	if epi.Residual != nil {
		inDims = append(inDims, 4)
		children = append(children, epi.Residual)
	}
	op := newKernelOp(name+"-"+mode+"("+bn.Name+")", inDims, 4)
	op.shape = sameShape
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		if training && n*hw < 2 {
			return nil, fmt.Errorf("%s: batch statistics need more than one value per channel, got input %v", bn.Name, s)
		}
		out := op.output(s, false)
		xs, ys, gs, bs := Floats(in[0]), Floats(out), Floats(in[1]), Floats(in[2])
		momentum := bnMomentum
		if bn.averaging {
			momentum = 1 / float64(bn.NumBatches+1) // PyTorch's cumulative average
		}
		var rs []float32
		if epi.Residual != nil {
			rs = Floats(in[3])
		}
		ParallelFor(c, 1, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var mean, invStd float64
				if training {
					mean, invStd = bn.trainStats(xs, ch, n, c, hw, momentum)
				} else {
					mean = float64(bn.RunningMean[ch])
					invStd = 1 / math.Sqrt(float64(bn.RunningVar[ch])+bnEpsilon)
				}
				scale := float32(invStd) * gs[ch]
				shift := bs[ch] - float32(mean)*scale
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					var res []float32
					if rs != nil {
						res = rs[off : off+hw]
					}
					simd.Affine(ys[off:off+hw], xs[off:off+hw], res, scale, shift, epi.ReLU)
				}
			}
		})
		if training {
			bn.NumBatches++
		}
		return out, nil
	}
	if training {
		op.wrt = make([]bool, len(inDims))
		for i := range op.wrt {
			op.wrt[i] = true
		}
		op.grad = func(inputs G.Nodes, output, dy *G.Node) (G.Nodes, error) {
			return bn.gradients(inputs, output, dy, epi, n, c, hw)
		}
	}
	return op.apply(children...)
}

// trainStats computes one channel's batch mean and inverse standard
// deviation, keeps them for the backward pass and folds them into the running
// statistics with the given momentum. One pass of float64 sums of x and x²: a float32 square is exact
// in float64, so the variance loses only about 1e-16·N·mean²/variance
// relative to the two-pass formula, far below float32 resolution for any
// activation a network produces.
func (bn *BatchNorm) trainStats(xs []float32, ch, n, c, hw int, momentum float64) (mean, invStd float64) {
	var sum, sumSq float64
	for i := 0; i < n; i++ {
		off := (i*c + ch) * hw
		s, s2 := simd.Sums(xs[off : off+hw])
		sum += s
		sumSq += s2
	}
	count := float64(n * hw)
	mean = sum / count
	sumDev := max(sumSq-sum*mean, 0) // Σ(x−μ)²
	variance := sumDev / count
	invStd = 1 / math.Sqrt(variance+bnEpsilon)
	bn.batchMean[ch] = float32(mean)
	bn.batchInvStd[ch] = float32(invStd)
	unbiased := sumDev / (count - 1)
	bn.RunningMean[ch] = float32((1-momentum)*float64(bn.RunningMean[ch]) + momentum*mean)
	bn.RunningVar[ch] = float32((1-momentum)*float64(bn.RunningVar[ch]) + momentum*unbiased)
	return mean, invStd
}

// gradients builds the backward pass of a training-mode BatchNorm and its
// epilogue. With g the gradient reaching the affine output (dy masked by
// y > 0 after a ReLU), x̂ = (x−μ)/σ and M values per channel:
// ∂L/∂β = Σg, ∂L/∂γ = Σg·x̂, ∂L/∂x = γ/(σM)·(M·g − Σg − x̂·Σg·x̂), ∂L/∂residual = g.
// Without a shortcut the mask is applied on the fly from the output, so g is
// never stored; with one, g is the shortcut's gradient and is made once.
func (bn *BatchNorm) gradients(inputs G.Nodes, output, dy *G.Node, epi Epilogue, n, c, hw int) (G.Nodes, error) {
	x, gamma := inputs[0], inputs[1]
	shape := x.Shape().Clone()
	count := float32(n * hw)

	g, mask := dy, (*G.Node)(nil)
	var dResidual *G.Node
	if epi.ReLU {
		mask = output
	}
	if epi.Residual != nil {
		if epi.ReLU {
			var err error
			if g, err = reluGrad(output, dy); err != nil {
				return nil, err
			}
			mask = nil
		}
		dResidual = g
	}
	// gradInputs are the gradient's inputs: x, g and, when masking on the
	// fly, the output.
	gradInputs := func(in []*tensor.Dense) (xs, gs, ys []float32) {
		xs, gs = Floats(in[0]), Floats(in[1])
		if mask != nil {
			ys = Floats(in[len(in)-1])
		}
		return xs, gs, ys
	}
	withMask := func(nodes ...*G.Node) G.Nodes {
		if mask != nil {
			return append(G.Nodes(nodes), mask)
		}
		return nodes
	}
	maskDims := func(dims ...int) []int {
		if mask != nil {
			return append(dims, 4)
		}
		return dims
	}

	// One pass for both per-channel sums: row 0 holds Σg, row 1 Σg·x̂.
	sumsOp := newKernelOp("batchnorm-grad-sums("+bn.Name+")", maskDims(4, 4), 2)
	sumsOp.shape = func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{2, c}, nil }
	sumsOp.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := sumsOp.output(tensor.Shape{2, c}, false)
		xs, gs, ys := gradInputs(in)
		sums := Floats(out)
		ParallelFor(c, 1, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				sumG, sumGXhat := bn.channelSums(xs, gs, ys, ch, n, c, hw)
				sums[ch], sums[c+ch] = float32(sumG), float32(sumGXhat)
			}
		})
		return out, nil
	}
	sums, err := sumsOp.apply(withMask(x, g)...)
	if err != nil {
		return nil, err
	}

	dxOp := newKernelOp("batchnorm-grad-x("+bn.Name+")", maskDims(4, 4, 1, 2), 4)
	dxOp.shape = func([]tensor.Shape) (tensor.Shape, error) { return shape.Clone(), nil }
	dxOp.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := dxOp.output(shape, false)
		xs, gs, ys := gradInputs(in)
		gammas, sums, dxs := Floats(in[2]), Floats(in[3]), Floats(out)
		ParallelFor(c, 1, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				// γ/σ·(g − Σg/M − x̂·Σg·x̂/M) as a·g + b·x + d.
				mean, invStd := bn.batchMean[ch], bn.batchInvStd[ch]
				a := gammas[ch] * invStd
				meanG, meanGXhat := sums[ch]/count, sums[c+ch]/count
				b := -a * invStd * meanGXhat
				d := -a*meanG - b*mean
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					var yRow []float32
					if ys != nil {
						yRow = ys[off : off+hw]
					}
					simd.Linear3(dxs[off:off+hw], gs[off:off+hw], xs[off:off+hw], yRow, a, b, d)
				}
			}
		})
		return out, nil
	}
	dx, err := dxOp.apply(withMask(x, g, gamma, sums)...)
	if err != nil {
		return nil, err
	}

	sumsRow := func(name string, row int) (*G.Node, error) {
		op := newKernelOp(name+"("+bn.Name+")", []int{2}, 1)
		op.shape = func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{c}, nil }
		op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := op.output(tensor.Shape{c}, false)
			copy(Floats(out), Floats(in[0])[row*c:(row+1)*c])
			return out, nil
		}
		return op.apply(sums)
	}
	dBeta, err := sumsRow("batchnorm-grad-beta", 0)
	if err != nil {
		return nil, err
	}
	dGamma, err := sumsRow("batchnorm-grad-gamma", 1)
	if err != nil {
		return nil, err
	}
	grads := G.Nodes{dx, dGamma, dBeta}
	if epi.Residual != nil {
		grads = append(grads, dResidual)
	}
	return grads, nil
}

// channelSums returns Σg and Σg·x̂ over one channel, the two reductions every
// BatchNorm gradient needs, in float64; g is masked by ys > 0 when ys is
// given.
func (bn *BatchNorm) channelSums(xs, gs, ys []float32, ch, n, c, hw int) (sumG, sumGXhat float64) {
	// Σg·x̂ = (Σg·x − μ·Σg)/σ, so the loop needs no per-element normalising.
	var sumGX float64
	for i := 0; i < n; i++ {
		off := (i*c + ch) * hw
		var yRow []float32
		if ys != nil {
			yRow = ys[off : off+hw]
		}
		g, gx := simd.DotSums(gs[off:off+hw], xs[off:off+hw], yRow)
		sumG += g
		sumGX += gx
	}
	mean, invStd := float64(bn.batchMean[ch]), float64(bn.batchInvStd[ch])
	return sumG, (sumGX - mean*sumG) * invStd
}

// reluGrad returns dy where y > 0 and 0 elsewhere: the gradient through a
// ReLU, read from its output.
func reluGrad(y, dy *G.Node) (*G.Node, error) {
	op := newKernelOp("relu-grad", []int{y.Dims(), y.Dims()}, y.Dims())
	op.shape = sameShape
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(in[0].Shape(), false)
		ys, dys, ds := Floats(in[0]), Floats(in[1]), Floats(out)
		ParallelFor(len(ys), ElementGrain, func(lo, hi int) {
			dys, ds := dys[lo:hi], ds[lo:hi]
			for i, v := range ys[lo:hi] {
				ds[i] = simd.MaskedByReLU(dys[i], v)
			}
		})
		return out, nil
	}
	return op.apply(y, dy)
}
