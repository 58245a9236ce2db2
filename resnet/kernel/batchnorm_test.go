package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runTrainBN runs one training-mode BatchNorm forward pass over x (N, C, H, W).
func runTrainBN(t *testing.T, bn *BatchNorm, x []float32, shape tensor.Shape) {
	t.Helper()
	g := G.NewGraph()
	c := shape[1]
	in := G.NewTensor(g, tensor.Float32, 4, G.WithShape(shape...), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x))))
	ones := make([]float32, c)
	for i := range ones {
		ones[i] = 1
	}
	gamma := G.NewTensor(g, tensor.Float32, 1, G.WithShape(c), G.WithName("gamma"), G.WithValue(tensor.New(tensor.WithShape(c), tensor.WithBacking(ones))))
	beta := G.NewTensor(g, tensor.Float32, 1, G.WithShape(c), G.WithName("beta"), G.WithValue(tensor.New(tensor.WithShape(c), tensor.WithBacking(make([]float32, c)))))
	if _, err := bn.Apply(in, gamma, beta, Epilogue{ReLU: true}, true); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.EvalMode())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
}

// channelStats is one channel's mean and unbiased variance, in float64.
func channelStats(x []float32, shape tensor.Shape, ch int) (mean, unbiased float64) {
	n, c, hw := shape[0], shape[1], shape[2]*shape[3]
	var vals []float64
	for i := 0; i < n; i++ {
		for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
			vals = append(vals, float64(v))
		}
	}
	for _, v := range vals {
		mean += v
	}
	mean /= float64(len(vals))
	for _, v := range vals {
		unbiased += (v - mean) * (v - mean)
	}
	return mean, unbiased / float64(len(vals)-1)
}

// TestBatchNormAveraging checks recalibration's statistics against a hand
// computation: after StartAveraging, batches of different sizes each weigh
// the same (the mean of their means and of their unbiased variances, as
// PyTorch's momentum=None), and StopAveraging returns to momentum 0.1.
func TestBatchNormAveraging(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const c = 3
	bn := NewBatchNorm("bn", c)
	for i := range bn.RunningMean { // a trail of earlier training to be forgotten
		bn.RunningMean[i], bn.RunningVar[i] = 5, 9
	}
	bn.NumBatches = 40
	shapes := []tensor.Shape{{4, c, 3, 3}, {2, c, 3, 3}, {3, c, 2, 2}}
	batches := make([][]float32, len(shapes))
	for b, s := range shapes {
		batches[b] = make([]float32, s.TotalSize())
		for i := range batches[b] {
			batches[b][i] = float32(rng.NormFloat64()*float64(b+1) + float64(b))
		}
	}
	bn.StartAveraging()
	for b, s := range shapes {
		runTrainBN(t, bn, batches[b], s)
	}
	bn.StopAveraging(true)
	if bn.NumBatches != int64(len(shapes)) {
		t.Errorf("NumBatches = %d, want %d (reset, then one per batch)", bn.NumBatches, len(shapes))
	}
	wantMean, wantVar := make([]float64, c), make([]float64, c)
	for ch := 0; ch < c; ch++ {
		for b, s := range shapes {
			m, v := channelStats(batches[b], s, ch)
			wantMean[ch] += m / float64(len(shapes))
			wantVar[ch] += v / float64(len(shapes))
		}
		if d := math.Abs(float64(bn.RunningMean[ch]) - wantMean[ch]); d > 1e-5 {
			t.Errorf("channel %d: running mean %v, want the batches' mean %v", ch, bn.RunningMean[ch], wantMean[ch])
		}
		if d := math.Abs(float64(bn.RunningVar[ch]) - wantVar[ch]); d > 1e-5*wantVar[ch] {
			t.Errorf("channel %d: running variance %v, want the batches' mean %v", ch, bn.RunningVar[ch], wantVar[ch])
		}
	}
	// Back to the momentum update.
	runTrainBN(t, bn, batches[0], shapes[0])
	for ch := 0; ch < c; ch++ {
		m, v := channelStats(batches[0], shapes[0], ch)
		if want := 0.9*float64(float32(wantMean[ch])) + 0.1*m; math.Abs(float64(bn.RunningMean[ch])-want) > 1e-5 {
			t.Errorf("after StopAveraging, channel %d: running mean %v, want the momentum update %v", ch, bn.RunningMean[ch], want)
		}
		if want := 0.9*float64(float32(wantVar[ch])) + 0.1*v; math.Abs(float64(bn.RunningVar[ch])-want) > 1e-5*want {
			t.Errorf("after StopAveraging, channel %d: running variance %v, want the momentum update %v", ch, bn.RunningVar[ch], want)
		}
	}
}
