package kernel

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConvBNEval is an inference convolution with its BatchNorm (running
// statistics) and epilogue folded in: y = relu(γ·(W∗x − μ)/σ + β + residual)
// as one op. The normalisation is a per-channel scale and shift applied to
// each block of the convolution's output while it is in cache, so inference
// makes one pass over each activation instead of three (convolution,
// BatchNorm, ReLU) and allocates one tensor instead of two. It computes
// exactly what the separate ops compute and has no gradient: training
// normalises with batch statistics, which need the whole output first.
func ConvBNEval(x, w *G.Node, stride, pad int, bn *BatchNorm, gamma, beta *G.Node, epi Epilogue) (*G.Node, error) {
	g, err := convGeomOf(x.Shape(), w.Shape(), stride, pad)
	if err != nil {
		return nil, err
	}
	if g.cout != len(bn.RunningMean) {
		return nil, fmt.Errorf("%s: %d channels after a convolution with %d outputs", bn.Name, len(bn.RunningMean), g.cout)
	}
	outShape := tensor.Shape{g.n, g.cout, g.ho, g.wo}
	if epi.Residual != nil && !epi.Residual.Shape().Eq(outShape) {
		return nil, fmt.Errorf("%s: shortcut shape %v differs from the branch's %v", bn.Name, epi.Residual.Shape(), outShape)
	}
	inDims := []int{4, 4, 1, 1}
	children := G.Nodes{x, w, gamma, beta}
	if epi.Residual != nil {
		inDims = append(inDims, 4)
		children = append(children, epi.Residual)
	}
	op := newKernelOp(fmt.Sprintf("conv2d(k%d,s%d,p%d)+%s-eval", g.k, stride, pad, bn.Name), inDims, 4)
	op.shape = func([]tensor.Shape) (tensor.Shape, error) { return outShape.Clone(), nil }
	e := &convEpilogue{scale: make([]float32, g.cout), shift: make([]float32, g.cout), relu: epi.ReLU}
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(outShape, false)
		bn.evalAffine(Floats(in[2]), Floats(in[3]), e.scale, e.shift)
		e.residual = nil
		if epi.Residual != nil {
			e.residual = Floats(in[4])
		}
		if err := g.run(passForward, Floats(in[0]), Floats(in[1]), Floats(out), e); err != nil {
			return nil, err
		}
		return out, nil
	}
	return op.apply(children...)
}

// evalAffine writes the per-channel scale and shift of inference-mode
// BatchNorm: γ/σ and β − μ·γ/σ with the running statistics.
func (bn *BatchNorm) evalAffine(gamma, beta, scale, shift []float32) {
	for ch := range scale {
		invStd := 1 / math.Sqrt(float64(bn.RunningVar[ch])+bnEpsilon)
		scale[ch] = float32(invStd) * gamma[ch]
		shift[ch] = beta[ch] - bn.RunningMean[ch]*scale[ch]
	}
}
