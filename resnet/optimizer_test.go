package resnet

import (
	"math"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"
	"github.com/reslab/reslab/internal/safetensors"
	"github.com/reslab/reslab/resnet/kernel"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const opsFixture = "testdata/torchref/ops.safetensors"

func fixtureFloats(t *testing.T, f *safetensors.File, name string) []float32 {
	t.Helper()
	tt, ok := f.Get(name)
	if !ok {
		t.Fatalf("%s: no tensor %s (regenerate with tools/torchref/make_fixtures.py)", opsFixture, name)
	}
	v, err := tt.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Three steps of each update rule from the same weights and gradients end
// where torch.optim's classes do (PyTorch in float64).
func TestOptimizersMatchPyTorch(t *testing.T) {
	f, err := safetensors.ReadFile(opsFixture)
	if err != nil {
		t.Fatal(err)
	}
	w0 := fixtureFloats(t, f, "opt.w0")
	var grads [][]float32
	for i := 1; i <= 3; i++ {
		grads = append(grads, fixtureFloats(t, f, "opt.g"+string(rune('0'+i))))
	}
	for name, c := range map[string]struct {
		cfg OptimizerConfig
		lr  float64
	}{
		"sgd":          {OptimizerConfig{Kind: OptSGD, Momentum: 0.9, WeightDecay: 0.01}, 0.1},
		"sgd_nesterov": {OptimizerConfig{Kind: OptSGD, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}, 0.1},
		"sgd_plain":    {OptimizerConfig{Kind: OptSGD}, 0.1},
		"adam_l2":      {OptimizerConfig{Kind: OptAdam, WeightDecay: 0.1}, 0.01},
		"adamw":        {OptimizerConfig{Kind: OptAdamW, WeightDecay: 0.1}, 0.01},
	} {
		p := newParam("w", tensor.Shape{len(w0)})
		copy(p.Data(), w0)
		opt := NewOptimizer(c.cfg, c.lr)
		for _, g := range grads {
			copy(kernel.Floats(p.gradient()), g)
			if err := opt.Step([]G.ValueGrad{p}); err != nil {
				t.Fatal(err)
			}
		}
		want := fixtureFloats(t, f, "opt."+name+".w3")
		for i := range want {
			if d := math.Abs(float64(p.Data()[i] - want[i])); d > 1e-5 {
				t.Errorf("%s: w[%d] = %v after 3 steps, PyTorch %v", name, i, p.Data()[i], want[i])
			}
		}
	}
}

// Weight decay leaves BatchNorm's γ/β and biases alone when asked to.
func TestNoDecayNormBias(t *testing.T) {
	w, b := newParam("conv.weight", tensor.Shape{1}), noDecay(newParam("bn.bias", tensor.Shape{1}))
	w.Data()[0], b.Data()[0] = 1, 1
	opt := NewOptimizer(OptimizerConfig{Kind: OptSGD, WeightDecay: 0.5, NoDecayNormBias: true}, 0.1)
	if err := opt.Step([]G.ValueGrad{w, b}); err != nil { // zero gradients: only decay moves weights
		t.Fatal(err)
	}
	if w.Data()[0] != 0.95 || b.Data()[0] != 1 {
		t.Errorf("decayed weight %v (want 0.95), bias %v (want 1)", w.Data()[0], b.Data()[0])
	}
}

// Clipping scales the gradients to the global norm asked for.
func TestClipNorm(t *testing.T) {
	a, b := newParam("a", tensor.Shape{1}), newParam("b", tensor.Shape{1})
	kernel.Floats(a.gradient())[0], kernel.Floats(b.gradient())[0] = 3, 4 // norm 5
	opt := NewOptimizer(OptimizerConfig{Kind: OptSGD, ClipNorm: 1}, 1)
	if err := opt.Step([]G.ValueGrad{a, b}); err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(a.Data()[0])+0.6) > 1e-5 || math.Abs(float64(b.Data()[0])+0.8) > 1e-5 {
		t.Errorf("clipped step moved a to %v, b to %v; want -0.6, -0.8", a.Data()[0], b.Data()[0])
	}
}

// The smoothed targets through reslab's cross-entropy give PyTorch's
// CrossEntropyLoss(label_smoothing=0.1), value and gradient.
func TestLabelSmoothingMatchesPyTorch(t *testing.T) {
	f, err := safetensors.ReadFile(opsFixture)
	if err != nil {
		t.Fatal(err)
	}
	logits := fixtureFloats(t, f, "ce.logits")
	lt, _ := f.Get("ce.labels")
	labels64, err := lt.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	n, k := len(labels64), len(logits)/len(labels64)
	labels := make([]int, n)
	for i, y := range labels64 {
		labels[i] = int(y)
	}
	g := G.NewGraph()
	z := gradcheck.Const(g, "z", tensor.Shape{n, k}, append([]float32(nil), logits...))
	target := gradcheck.Const(g, "t", tensor.Shape{n, k}, smoothedTargets(labels, k, 0.1))
	loss, err := kernel.SoftmaxCrossEntropy(z, target)
	if err != nil {
		t.Fatal(err)
	}
	value, got := gradcheck.ValueAndGrad(t, g, loss, loss, z)
	if want := fixtureFloats(t, f, "ce_smooth.loss")[0]; math.Abs(float64(value[0]-want)) > 1e-5 {
		t.Errorf("smoothed loss %v, PyTorch %v", value[0], want)
	}
	want := fixtureFloats(t, f, "ce_smooth.dlogits")
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Errorf("smoothed gradient[%d] %v, PyTorch %v", i, got[i], want[i])
		}
	}
}
