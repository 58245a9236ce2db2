package kernel

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SoftmaxCrossEntropy is the mean cross-entropy of (N, K) logits against
// one-hot (N, K) targets, fused with the softmax so it stays finite for any
// logits: loss = −(1/N) Σ log softmax(logits)·target. Its gradient with respect
// to the logits is (softmax − target)/N.
func SoftmaxCrossEntropy(logits, target *G.Node) (*G.Node, error) {
	s := logits.Shape()
	if len(s) != 2 || !s.Eq(target.Shape()) {
		return nil, fmt.Errorf("cross-entropy: logits %v and targets %v, want equal (N, K) shapes", s, target.Shape())
	}
	n, k := s[0], s[1]
	op := newKernelOp("softmax-cross-entropy", []int{2, 2}, 0)
	op.shape = func([]tensor.Shape) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		zs, ts := Floats(in[0]), Floats(in[1])
		var total float64
		for i := 0; i < n; i++ {
			row, tr := zs[i*k:(i+1)*k], ts[i*k:(i+1)*k]
			lse := LogSumExp(row)
			for j, t := range tr {
				if t != 0 {
					total -= float64(t) * (float64(row[j]) - lse)
				}
			}
		}
		return tensor.New(tensor.FromScalar(float32(total / float64(n)))), nil
	}
	op.wrt = []bool{true, false}
	op.grad = func(inputs G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		g := newKernelOp("softmax-cross-entropy-grad", []int{2, 2, 0}, 2)
		g.shape = sameShape
		g.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := g.output(s, false)
			zs, ts, ds := Floats(in[0]), Floats(in[1]), Floats(out)
			scale := in[2].ScalarValue().(float32) / float32(n)
			for i := 0; i < n; i++ {
				row := zs[i*k : (i+1)*k]
				Softmax(row, ds[i*k:(i+1)*k])
				for j := i * k; j < (i+1)*k; j++ {
					ds[j] = (ds[j] - ts[j]) * scale
				}
			}
			return out, nil
		}
		dz, err := g.apply(inputs[0], inputs[1], dy)
		return G.Nodes{dz, nil}, err
	}
	return op.apply(logits, target)
}

// LogSumExp is log Σ exp(row), computed without overflow.
func LogSumExp(row []float32) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - m)
	}
	return m + math.Log(sum)
}

// Softmax writes the softmax of logits into probs (both length K).
func Softmax(logits, probs []float32) {
	lse := LogSumExp(logits)
	for j, v := range logits {
		probs[j] = float32(math.Exp(float64(v) - lse))
	}
}
