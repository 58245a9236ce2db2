package resnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"
	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/train"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tinyConfig is a ResNet-18 small enough for unit tests.
func tinyConfig() Config {
	return Config{Depth: 18, Width: 4, InputSize: 32, Classes: 3, Pooling: PoolAvg, Hidden: []int{8}, Dropout: 0.1, Mode: ModeScratch}
}

func randomBatch(n, size, classes int, seed uint64) train.SliceBatch {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := train.SliceBatch{Images: gradcheck.RandomValues(n*3*size*size, rng)}
	for i := 0; i < n; i++ {
		b.Classes = append(b.Classes, i%classes)
	}
	return b
}

func TestConfigValidate(t *testing.T) {
	good := tinyConfig()
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	cases := []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Depth = 20 }, "want one of 18, 34, 50, 101"},
		{func(c *Config) { c.InputSize = 16 }, "want 32 to 1024"},
		{func(c *Config) { c.Dropout = 1 }, "0 <= dropout < 1"},
		{func(c *Config) { c.Dropout = -0.1 }, "0 <= dropout < 1"},
		{func(c *Config) { c.Mode = "thaw" }, "scratch, finetune or frozen"},
		{func(c *Config) { c.Pooling = "max" }, "avg or flatten"},
		{func(c *Config) { c.Classes = 1 }, "want 2 to 100000"},
		{func(c *Config) { c.Width = 0 }, "want 1 to 256"},
	}
	for _, tc := range cases {
		c := tinyConfig()
		tc.mutate(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", c, err, tc.want)
		}
	}
}

func TestParseArchAndHead(t *testing.T) {
	for in, want := range map[string]Arch{"resnet50": 50, "ResNet18": 18, "101": 101, "r34": 34} {
		if got, err := ParseArch(in); err != nil || got != want {
			t.Errorf("ParseArch(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseArch("resnet20"); err == nil || !strings.Contains(err.Error(), "resnet18, resnet34, resnet50 or resnet101") {
		t.Errorf("ParseArch(resnet20) error %v", err)
	}
	if h, err := ParseHead("512, 64"); err != nil || len(h) != 2 || h[0] != 512 || h[1] != 64 {
		t.Errorf("ParseHead = %v, %v", h, err)
	}
	if h, err := ParseHead("linear"); err != nil || h != nil {
		t.Errorf("ParseHead(linear) = %v, %v", h, err)
	}
	if _, err := ParseHead("512,x"); err == nil {
		t.Error("ParseHead(512,x) accepted")
	}
	if (Head{512, 64}).String() != "512,64" || Head(nil).String() != "linear" {
		t.Error("Head.String does not invert ParseHead")
	}
}

// TestTorchvisionLayout checks parameter counts against torchvision's
// published totals (1000 classes, linear head).
func TestTorchvisionLayout(t *testing.T) {
	want := map[int]int{18: 11689512, 34: 21797672, 50: 25557032, 101: 44549160}
	for depth, n := range want {
		cfg := Config{Depth: depth, Width: 64, InputSize: 224, Classes: 1000, Pooling: PoolAvg, Mode: ModeScratch}
		m, err := NewModel(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.NumParams(); got != n {
			t.Errorf("resnet%d: %d parameters, torchvision has %d", depth, got, n)
		}
		if got := ParamCount(cfg); got != n {
			t.Errorf("ParamCount(resnet%d) = %d, torchvision has %d", depth, got, n)
		}
	}
}

func TestDropout(t *testing.T) {
	for _, rate := range []float64{0.1, 0.4, 0.8} {
		g := G.NewGraph()
		const n = 20000
		ones := make([]float32, n)
		for i := range ones {
			ones[i] = 1
		}
		x := G.NewTensor(g, tensor.Float32, 2, G.WithShape(1, n), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(1, n), tensor.WithBacking(ones))))
		y, err := kernel.Dropout(x, rate, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := G.Sum(y)
		grads, err := G.Grad(s, x)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		ys := y.Value().Data().([]float32)
		gs := grads[0].Value().Data().([]float32)
		zeros := 0
		var sum float64
		for i, v := range ys {
			if v == 0 {
				zeros++
			} else if math.Abs(float64(v)-1/(1-rate)) > 1e-5 {
				t.Fatalf("rate %v: kept value %v, want %v", rate, v, 1/(1-rate))
			}
			if gs[i] != v { // ∂y/∂x is the mask, as x is all ones
				t.Fatalf("rate %v: gradient %v at %d where output is %v", rate, gs[i], i, v)
			}
			sum += float64(v)
		}
		if frac := float64(zeros) / n; math.Abs(frac-rate) > 0.015 {
			t.Errorf("rate %v: dropped %.3f", rate, frac)
		}
		if mean := sum / n; math.Abs(mean-1) > 0.03 {
			t.Errorf("rate %v: mean %.3f, want about 1", rate, mean)
		}
		vm.Close()
	}
}

// TestAdamMatchesTextbook checks Adam and AdamW on one value against the
// update worked by hand from Kingma & Ba and Loshchilov & Hutter.
func TestAdamMatchesTextbook(t *testing.T) {
	p := newParam("w", tensor.Shape{1})
	p.Data()[0] = 1
	opt := NewAdam(0.1, 0)
	for step, want := range []float32{0.9, 0.8} {
		kernel.Floats(p.gradient())[0] = 0.5 // m̂ = 0.5, v̂ = 0.25 while the gradient is constant
		if err := opt.Step([]G.ValueGrad{p}); err != nil {
			t.Fatal(err)
		}
		if got := p.Data()[0]; math.Abs(float64(got-want)) > 1e-5 {
			t.Errorf("Adam step %d: w = %v, want %v", step+1, got, want)
		}
		if kernel.Floats(p.gradient())[0] != 0 {
			t.Error("gradient not zeroed after the step")
		}
	}
	// AdamW: w ← w(1 − lr·λ) − lr·m̂/(√v̂+ε) = 1·(1 − 0.1·0.5) − 0.1 = 0.85
	q := newParam("q", tensor.Shape{1})
	q.Data()[0] = 1
	kernel.Floats(q.gradient())[0] = -2
	opt = NewAdam(0.1, 0.5)
	if err := opt.Step([]G.ValueGrad{q}); err != nil {
		t.Fatal(err)
	}
	if got := q.Data()[0]; math.Abs(float64(got)-1.05) > 1e-6 {
		t.Errorf("AdamW: w = %v, want 1.05", got)
	}
}

// TestAdamReportsNonFiniteWeights: an infinite gradient makes the update
// NaN; Step names the parameter and element, across the parallel chunks.
func TestAdamReportsNonFiniteWeights(t *testing.T) {
	p := newParam("layer.weight", tensor.Shape{3 * kernel.ElementGrain})
	bad := 2*kernel.ElementGrain + 7
	kernel.Floats(p.gradient())[bad] = float32(math.Inf(1))
	err := NewAdam(0.1, 0).Step([]G.ValueGrad{p})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("error %v, want ErrNonFinite", err)
	}
	if want := fmt.Sprintf("layer.weight[%d]", bad); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

// TestOverfitOneBatch drives the loss on one batch near zero: forward,
// backward and optimiser wired together can learn.
func TestOverfitOneBatch(t *testing.T) {
	cfg := tinyConfig()
	cfg.Dropout = 0
	m, err := NewModel(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b := randomBatch(6, cfg.InputSize, cfg.Classes, 9)
	var first, last train.StepResult
	for i := 0; i < 40; i++ {
		r, err := m.TrainStep(context.Background(), b, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r
		}
		last = r
	}
	if last.Loss > 0.05 || last.Loss > first.Loss/10 {
		t.Errorf("loss went from %.4f to %.4f, want near zero", first.Loss, last.Loss)
	}
	if last.Correct != b.Len() {
		t.Errorf("train accuracy %d/%d after overfitting", last.Correct, b.Len())
	}
}

// TestMicroBatchEqualsBigBatch: with BatchNorm frozen (frozen mode, so only
// the head's BN-free layers train), splitting a batch changes nothing.
// In finetune mode it also must agree to float precision on the update of a
// model without BatchNorm effects, so it is checked in frozen mode, the
// documented exact case.
func TestMicroBatchEqualsBigBatch(t *testing.T) {
	cfg := tinyConfig()
	cfg.Dropout = 0
	cfg.Mode = ModeFrozen
	b := randomBatch(8, cfg.InputSize, cfg.Classes, 4)
	run := func(micro int) ([]float32, float64) {
		m, err := NewModel(cfg, 11)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		m.SetMicroBatch(micro)
		r, err := m.TrainStep(context.Background(), b, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range m.Trainable() {
			w = append(w, p.Data()...)
		}
		return w, r.Loss
	}
	whole, lossWhole := run(8)
	split, lossSplit := run(2)
	if math.Abs(lossWhole-lossSplit) > 1e-5 {
		t.Errorf("loss %v in one batch, %v in micro-batches", lossWhole, lossSplit)
	}
	assertClose(t, "weights after one step", split, whole, 1e-5)
}

// TestMicroBatchGradients compares accumulated gradients of a finetune
// model with BatchNorm, split into halves, with the gradient of each half
// computed alone: accumulation must be the weighted sum.
func TestMicroBatchGradients(t *testing.T) {
	cfg := tinyConfig()
	cfg.Dropout = 0
	b := randomBatch(4, cfg.InputSize, cfg.Classes, 5)
	m, err := NewModel(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	half := func(lo, hi int) []float32 {
		if _, _, err := m.trainChunk(b, lo, hi); err != nil {
			t.Fatal(err)
		}
		var g []float32
		for _, p := range m.Params() {
			g = append(g, kernel.Floats(p.gradient())...)
		}
		m.zeroGrads(m.Params())
		return g
	}
	g1, g2 := half(0, 2), half(2, 4)
	if _, _, err := m.trainChunk(b, 0, 2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.trainChunk(b, 2, 4); err != nil {
		t.Fatal(err)
	}
	var acc []float32
	for _, p := range m.Params() {
		acc = append(acc, kernel.Floats(p.gradient())...)
	}
	for i := range g1 {
		g1[i] += g2[i]
	}
	assertClose(t, "accumulated gradient", acc, g1, 1e-5)
}

// TestFrozenKeepsBackbone: frozen training changes only the head, and the
// backbone's BatchNorm statistics stay as they were.
func TestFrozenKeepsBackbone(t *testing.T) {
	cfg := tinyConfig()
	cfg.Mode = ModeFrozen
	m, err := NewModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := m.Tensors()
	for i := 0; i < 3; i++ {
		if _, err := m.TrainStep(context.Background(), randomBatch(4, cfg.InputSize, cfg.Classes, uint64(i)), 0.01); err != nil {
			t.Fatal(err)
		}
	}
	headChanged := false
	for i, tt := range m.Tensors() {
		same := string(tt.Data) == string(before[i].Data)
		if isHeadTensor(tt.Name) {
			headChanged = headChanged || !same
		} else if !same {
			t.Errorf("frozen training changed backbone tensor %s", tt.Name)
		}
	}
	if !headChanged {
		t.Error("frozen training did not change the head")
	}
}

// TestEvalUsesRunningStats: after training steps, evaluation of one image is
// independent of the rest of its batch (no batch statistics in eval).
func TestEvalUsesRunningStats(t *testing.T) {
	cfg := tinyConfig()
	m, err := NewModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b := randomBatch(4, cfg.InputSize, cfg.Classes, 1)
	if _, err := m.TrainStep(context.Background(), b, 0.01); err != nil {
		t.Fatal(err)
	}
	all, err := m.Logits(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	per := 3 * cfg.InputSize * cfg.InputSize
	one, err := m.Logits(context.Background(), train.SliceBatch{Images: b.Images[:per], Classes: b.Classes[:1]})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "first image alone vs in its batch", one, all[:cfg.Classes], 1e-5)
	// Training again must still work after eval graphs were built.
	if _, err := m.TrainStep(context.Background(), b, 0.01); err != nil {
		t.Fatal(err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	cfg := tinyConfig()
	a, _ := NewModel(cfg, 1)
	b := randomBatch(4, cfg.InputSize, cfg.Classes, 1)
	if _, err := a.TrainStep(context.Background(), b, 0.01); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := a.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	c, _ := NewModel(cfg, 99)
	rep, err := c.LoadWeights(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Loaded != len(a.Tensors()) {
		t.Errorf("loaded %d tensors, saved %d", rep.Loaded, len(a.Tensors()))
	}
	la, _ := a.Logits(context.Background(), b)
	lc, _ := c.Logits(context.Background(), b)
	assertClose(t, "logits after reload", lc, la, 0)
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("save left %d files, want just the checkpoint", len(entries))
	}
}

func TestLoadMismatch(t *testing.T) {
	dir := t.TempDir()
	r18 := tinyConfig()
	r18.Hidden = nil
	a, _ := NewModel(r18, 1)
	path := filepath.Join(dir, "r18.safetensors")
	if err := a.SaveWeights(path); err != nil {
		t.Fatal(err)
	}

	r50 := r18
	r50.Depth = 50
	m50, _ := NewModel(r50, 1)
	before := m50.Tensors()
	_, err := m50.LoadWeights(path, LoadOptions{})
	if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "the file holds resnet18 width 4, the model is resnet50 width 4") {
		t.Fatalf("loading resnet18 into resnet50: %v", err)
	}
	for i, tt := range m50.Tensors() {
		if string(tt.Data) != string(before[i].Data) {
			t.Fatalf("failed load changed %s", tt.Name)
		}
	}

	// Same backbone, other head: strict load fails, backbone-only load works.
	head := r18
	head.Hidden = []int{16}
	mh, _ := NewModel(head, 1)
	if _, err := mh.LoadWeights(path, LoadOptions{}); !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "missing head.0.weight") {
		t.Fatalf("strict load into another head: %v", err)
	}
	rep, err := mh.LoadWeights(path, LoadOptions{BackboneOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.SkippedHead) != 2 || len(rep.FreshHead) != 4 {
		t.Errorf("backbone-only load: skipped %v, fresh %v", rep.SkippedHead, rep.FreshHead)
	}

	// A file that is not safetensors.
	junk := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(junk, []byte("this is not a checkpoint at all"), 0o644)
	if _, err := mh.LoadWeights(junk, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "junk.safetensors") {
		t.Errorf("loading junk: %v", err)
	}
}

func TestEstimateMemoryGrows(t *testing.T) {
	cfg := DefaultConfig(10)
	cfg.Hidden = nil
	cfg.Pooling = PoolAvg
	r18 := cfg
	r18.Depth = 18
	if EstimateMemory(cfg, 8) <= EstimateMemory(r18, 8) {
		t.Error("ResNet-50 estimated smaller than ResNet-18")
	}
	if EstimateMemory(cfg, 16) <= EstimateMemory(cfg, 8) {
		t.Error("estimate does not grow with the batch")
	}
	m, _ := NewModel(cfg, 1)
	m.SetMemoryBudget(EstimateMemory(cfg, 8))
	if got := m.MicroBatch(32); got != 8 {
		t.Errorf("micro-batch for 32 under an 8-image budget: %d", got)
	}
	if got := m.MicroBatch(12); got != 6 {
		t.Errorf("micro-batch for 12 under an 8-image budget: %d, want the divisor 6", got)
	}
}

func TestArchAndHeadText(t *testing.T) {
	var spec struct {
		Arch Arch `json:"arch"`
		Head Head `json:"head"`
	}
	if err := json.Unmarshal([]byte(`{"arch":"r50","head":"512, 64"}`), &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Arch.Depth() != 50 || len(spec.Head) != 2 {
		t.Fatalf("decoded %+v", spec)
	}
	out, err := json.Marshal(spec)
	if err != nil || string(out) != `{"arch":"resnet50","head":"512,64"}` {
		t.Fatalf("encoded %s, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"arch":"resnet51"}`), &spec); !errors.Is(err, ErrConfig) {
		t.Fatalf("resnet51 decoded with error %v, want ErrConfig", err)
	}
	if _, err := json.Marshal(struct{ A Arch }{}); err == nil {
		t.Fatal("the zero Arch encoded without error")
	}
}

// TestTopologyFeedsBuildAndEstimate: the network built and the estimate's
// parameter count come from the same walk, for every depth and both heads,
// and an unbuildable depth neither panics nor counts blocks.
func TestTopologyFeedsBuildAndEstimate(t *testing.T) {
	for _, depth := range Depths {
		for _, hidden := range []Head{nil, {16}} {
			cfg := Config{Depth: depth, Width: 4, InputSize: 64, Classes: 3, Pooling: PoolFlatten, Hidden: hidden, Mode: ModeScratch}
			m, err := NewModel(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ParamCount(cfg), m.NumParams(); got != want {
				t.Errorf("resnet%d head %v: ParamCount %d, the built network has %d", depth, hidden, got, want)
			}
		}
	}
	bad := Config{Depth: 20, Width: 4, InputSize: 64, Classes: 3, Pooling: PoolAvg, Mode: ModeScratch}
	if c := bad.FeatureChannels(); c != 4 {
		t.Errorf("depth 20 feature channels %d, want the stem's 4", c)
	}
}

// TestTrainStepStopsBetweenMicroBatches: a cancelled context ends a step
// before its next micro-batch, with no update made, so the batch is redone
// on resume; inference stops the same way.
func TestTrainStepStopsBetweenMicroBatches(t *testing.T) {
	cfg := tinyConfig()
	m, _ := NewModel(cfg, 1)
	defer m.Close()
	m.SetMicroBatch(2)
	b := randomBatch(6, cfg.InputSize, cfg.Classes, 1)
	before := append([]float32(nil), m.Params()[0].Data()...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.TrainStep(ctx, b, 0.01); !errors.Is(err, context.Canceled) {
		t.Fatalf("TrainStep on a cancelled context: %v", err)
	}
	if !slices.Equal(before, m.Params()[0].Data()) {
		t.Fatal("a cancelled step changed the weights")
	}
	if _, err := m.Logits(ctx, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("Logits on a cancelled context: %v", err)
	}
	if _, err := m.TrainStep(context.Background(), b, 0.01); err != nil {
		t.Fatalf("the step after a cancelled one: %v", err)
	}
}

func TestMicroBatchesAreEvenAndNeverALoneImage(t *testing.T) {
	for _, c := range []struct {
		n, size int
		want    []int
	}{{7, 3, []int{3, 2, 2}}, {4, 3, []int{2, 2}}, {8, 2, []int{2, 2, 2, 2}}, {32, 32, []int{32}}, {1, 3, []int{1}}, {5, 0, []int{1, 1, 1, 1, 1}}} {
		if got := microBatches(c.n, c.size); !slices.Equal(got, c.want) {
			t.Errorf("microBatches(%d, %d) = %v, want %v", c.n, c.size, got, c.want)
		}
	}
	// The step that failed with a lone last image (4 by 3 was 3 and 1):
	// a ResNet-18 at 32 px ends on a 1×1 map, where one image has no
	// batch statistics.
	cfg := tinyConfig()
	cfg.Mode = ModeScratch
	if cfg.FeatureSize() != 1 {
		t.Fatalf("feature size %d: the case needs 1", cfg.FeatureSize())
	}
	m, _ := NewModel(cfg, 1)
	defer m.Close()
	m.SetMicroBatch(3)
	for _, n := range []int{4, 7} {
		if _, err := m.TrainStep(context.Background(), randomBatch(n, cfg.InputSize, cfg.Classes, uint64(n)), 0.01); err != nil {
			t.Errorf("batch %d in micro-batches of 3: %v", n, err)
		}
	}
}

// TestMicroBatchGradientEqualsTheBatchGradient: 7 images in micro-batches
// of 3 (3, 2, 2) accumulate the gradient of the 7-image batch, compared as
// gradients (not after an optimiser step, which would hide a scale). The
// frozen backbone has no batch statistics, so the two must agree exactly up
// to rounding; a weight of 1 or 1/parts per micro-batch would not.
func TestMicroBatchGradientEqualsTheBatchGradient(t *testing.T) {
	cfg := tinyConfig()
	cfg.Dropout, cfg.Mode = 0, ModeFrozen
	b := randomBatch(7, cfg.InputSize, cfg.Classes, 9)
	grad := func(micro int) []float32 {
		m, err := NewModel(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		m.SetMicroBatch(micro)
		if _, err := m.accumulate(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		var g []float32
		for _, p := range m.Trainable() {
			g = append(g, kernel.Floats(p.gradient())...)
		}
		return g
	}
	whole, split := grad(7), grad(3)
	assertClose(t, "gradient of 7 images in micro-batches of 3", split, whole, 1e-5)
}

// ttaModel is the small model and batch of two 32 px images the
// test-time augmentation tests evaluate.
func ttaModel(t *testing.T) (*Model, train.SliceBatch) {
	t.Helper()
	cfg := Config{Depth: 18, Width: 4, InputSize: 32, Classes: 3, Pooling: PoolAvg, Mode: ModeScratch}
	m, err := NewModel(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, randomBatch(2, 32, 3, 9)
}

// Flip test-time augmentation averages the image's and its mirror's class
// probabilities.
func TestEvalFlipTTA(t *testing.T) {
	m, b := ttaModel(t)
	plain, err := m.Eval(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	mirrored, err := m.Eval(context.Background(), train.SliceBatch{Images: mirror(b.Pixels(), 2, 32), Classes: b.Labels()})
	if err != nil {
		t.Fatal(err)
	}
	m.SetTTA(TTAFlip)
	both, err := m.Eval(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	for i := range both.Probs {
		if want := (plain.Probs[i] + mirrored.Probs[i]) / 2; math.Abs(float64(both.Probs[i]-want)) > 1e-6 {
			t.Fatalf("prob %d: %v, want the mean %v", i, both.Probs[i], want)
		}
	}
	for i, y := range b.Labels() {
		loss -= math.Log(float64(both.Probs[i*3+y])) / 2
	}
	if math.Abs(both.Loss-loss) > 1e-5 {
		t.Errorf("TTA loss %v, want %v from the averaged probabilities", both.Loss, loss)
	}
	if plain.Probs[0] == mirrored.Probs[0] {
		t.Error("the mirror image gave the same probabilities: the test cannot tell")
	}
}

// The weight average equals the recurrence worked by hand, with its
// warm-up, and swapping it in and out restores the raw weights exactly.
func TestEMAMatchesHandComputation(t *testing.T) {
	cfg := Config{Depth: 18, Width: 4, InputSize: 32, Classes: 3, Pooling: PoolAvg, Mode: ModeScratch}
	m, err := NewModel(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.SetEMA(0.9)
	p := m.Trainable()[0]
	var want []float64
	for step := range 4 {
		if _, err := m.TrainStep(context.Background(), randomBatch(4, 32, 3, uint64(step)), 0.01); err != nil {
			t.Fatal(err)
		}
		w := float64(p.Data()[0])
		if step == 0 {
			want = append(want, w)
			continue
		}
		n := float64(step)
		d := math.Min(0.9, (1+n)/(10+n))
		want = append(want, d*want[len(want)-1]+(1-d)*w)
	}
	raw := append([]float32(nil), p.Data()...)
	m.UseAverage(true)
	if got := float64(p.Data()[0]); math.Abs(got-want[3]) > 1e-6 {
		t.Errorf("averaged weight %v, hand computation %v", got, want[3])
	}
	m.UseAverage(false)
	for i := range raw {
		if p.Data()[i] != raw[i] {
			t.Fatalf("raw weight %d not restored: %v, was %v", i, p.Data()[i], raw[i])
		}
	}
}

// Head-only epochs leave the backbone as it was (BatchNorm statistics
// included) and train the head; then the backbone unfreezes. The backbone
// learning-rate multiplier scales only the backbone's steps.
func TestFineTuneControls(t *testing.T) {
	cfg := Config{Depth: 18, Width: 4, InputSize: 32, Classes: 3, Pooling: PoolAvg, Mode: ModeFinetune}
	newModel := func() *Model {
		m, err := NewModel(cfg, 11)
		if err != nil {
			t.Fatal(err)
		}
		m.SetOptimizer(OptimizerConfig{Kind: OptSGD})
		return m
	}
	m := newModel()
	defer m.Close()
	m.SetHeadOnlyEpochs(1)
	back, head := m.Params()[0], m.Trainable()[len(m.Trainable())-1]
	b0, h0 := append([]float32(nil), back.Data()...), append([]float32(nil), head.Data()...)
	stats0 := append([]float32(nil), m.net.bns[0].RunningMean...)
	m.StartEpoch(0)
	if _, err := m.TrainStep(context.Background(), randomBatch(4, 32, 3, 1), 0.1); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Data(), b0) || !slices.Equal(m.net.bns[0].RunningMean, stats0) {
		t.Error("a head-only epoch changed the backbone or its BatchNorm statistics")
	}
	if slices.Equal(head.Data(), h0) {
		t.Error("a head-only epoch did not train the head")
	}
	m.StartEpoch(1)
	if _, err := m.TrainStep(context.Background(), randomBatch(4, 32, 3, 1), 0.1); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(back.Data(), b0) {
		t.Error("the backbone did not unfreeze after the head-only epochs")
	}

	// The multiplier: the same step with a 0.5 backbone rate moves the
	// backbone half as far and the head as far.
	a, c := newModel(), newModel()
	defer a.Close()
	defer c.Close()
	c.SetOptimizer(OptimizerConfig{Kind: OptSGD, BackboneLRMult: 0.5})
	before := append([]float32(nil), a.Params()[0].Data()...)
	for _, mm := range []*Model{a, c} {
		if _, err := mm.TrainStep(context.Background(), randomBatch(4, 32, 3, 2), 0.1); err != nil {
			t.Fatal(err)
		}
	}
	da, dc := a.Params()[0].Data()[0]-before[0], c.Params()[0].Data()[0]-before[0]
	if da == 0 || math.Abs(float64(dc/da)-0.5) > 1e-3 {
		t.Errorf("backbone step %v with the multiplier, %v without: want half", dc, da)
	}
	ha, hc := a.Params()[len(a.Params())-1].Data(), c.Params()[len(c.Params())-1].Data()
	if !slices.Equal(ha, hc) {
		t.Error("the multiplier changed the head's step")
	}
}

// With average pooling a model evaluates images of another size than it
// trains on (FixRes), with the logits a model built at that size gives.
func TestEvalAtAnotherSize(t *testing.T) {
	cfg := Config{Depth: 18, Width: 4, InputSize: 32, Classes: 3, Pooling: PoolAvg, Mode: ModeScratch}
	m, err := NewModel(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	big := cfg
	big.InputSize = 48
	ref, err := NewModel(big, 99)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	dir := t.TempDir()
	if err := m.SaveWeights(dir + "/w.safetensors"); err != nil {
		t.Fatal(err)
	}
	if _, err := ref.LoadWeights(dir+"/w.safetensors", LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	b := randomBatch(2, 48, 3, 5)
	got, err := m.Logits(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Logits(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("logit %d at 48 px: %v, a 48 px model says %v", i, got[i], want[i])
		}
	}
	// Training still takes only the training size.
	if _, err := m.TrainStep(context.Background(), b, 0.01); err == nil {
		t.Error("a 48 px batch trained a 32 px model")
	}
}

// TestDroppedStepLeavesNoGradient: a step cancelled between micro-batches
// leaves a partial gradient in the accumulators and no update; the next
// batch's gradient must not include it. (Adding the first micro-batch onto
// the accumulator kept it; the first one now overwrites.)
func TestDroppedStepLeavesNoGradient(t *testing.T) {
	cfg := tinyConfig()
	cfg.Dropout = 0
	b := randomBatch(4, cfg.InputSize, cfg.Classes, 9)
	m, err := NewModel(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	grads := func() []float32 {
		var g []float32
		for _, p := range m.Params() {
			g = append(g, kernel.Floats(p.gradient())...)
		}
		return g
	}
	if _, err := m.accumulate(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	want := grads()
	m.zeroGrads(m.Params())
	if _, _, err := m.trainChunk(b, 2, 4); err != nil { // the dropped step's partial gradient
		t.Fatal(err)
	}
	if _, err := m.accumulate(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	got := grads()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("gradient %d is %v after a dropped step, %v without one", i, got[i], want[i])
		}
	}
}

// resizeBilinear matches PyTorch's F.interpolate(mode="bilinear",
// align_corners=False) — torchvision's Resize when enlarging — on a 3×3
// plane made 5×5 (reference values from python3-torch 1.13).
func TestResizeBilinearMatchesPyTorch(t *testing.T) {
	in := []float32{0.0, 1.0, 2.8284270763397217, 5.196152210235596, 8.0, 11.180339813232422, 14.696938514709473, 18.520259857177734, 22.627416610717773}
	want := []float32{0.0, 0.4, 1.0, 2.097056, 2.828427, 2.078461, 2.767077, 3.8, 5.221516, 6.169192, 5.196153, 6.317692, 8.000001,
		9.908204, 11.180341, 10.896625, 12.262837, 14.312157, 16.554014, 18.048586, 14.696939, 16.226267, 18.52026, 20.984554, 22.627417}
	// One image of three identical planes.
	three := append(append(append([]float32(nil), in...), in...), in...)
	got := resizeBilinear(three, 1, 3, 5)
	for plane := 0; plane < 3; plane++ {
		for i, w := range want {
			if g := got[plane*25+i]; math.Abs(float64(g-w)) > 2e-6*(1+math.Abs(float64(w))) {
				t.Fatalf("plane %d value %d: %v, PyTorch %v", plane, i, g, w)
			}
		}
	}
}

// fiveCrops and crop cut torchvision's FiveCrop: the four corners and the
// centre, the centre rounded half to even as Python's round.
func TestFiveCrops(t *testing.T) {
	if got := fiveCrops(8, 7); got[4] != [2]int{0, 0} || got[3] != [2]int{1, 1} || got[1] != [2]int{0, 1} {
		t.Errorf("crops of 7 in 8: %v, want corners then the centre at (0, 0) (round(0.5) = 0)", got)
	}
	if got := fiveCrops(256, 224)[4]; got != [2]int{16, 16} {
		t.Errorf("centre crop of 224 in 256 at %v, want (16, 16)", got)
	}
	const size, side = 4, 3
	img := make([]float32, 3*size*size)
	for i := range img {
		img[i] = float32(i)
	}
	c := crop(img, 1, size, 1, 1, side) // the bottom-right window of each plane
	for plane := 0; plane < 3; plane++ {
		for r := 0; r < side; r++ {
			for col := 0; col < side; col++ {
				if got, want := c[plane*9+r*3+col], img[plane*16+(1+r)*size+1+col]; got != want {
					t.Fatalf("plane %d (%d, %d): %v, want %v", plane, r, col, got, want)
				}
			}
		}
	}
}

// Multi-crop test-time augmentation averages the probabilities of the
// image and its five crops resized back (and of all their mirrors with
// crops-flip): the mean of Eval over the views made by hand.
func TestEvalCropsTTA(t *testing.T) {
	m, b := ttaModel(t)
	eval := func(pixels []float32) train.EvalResult {
		r, err := m.Eval(context.Background(), train.SliceBatch{Images: pixels, Classes: b.Labels()})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	views := [][]float32{b.Pixels()}
	for _, at := range fiveCrops(32, 28) {
		views = append(views, resizeBilinear(crop(b.Pixels(), 2, 32, at[0], at[1], 28), 2, 28, 32))
	}
	var single []train.EvalResult
	for _, v := range views {
		single = append(single, eval(v))
	}
	for _, v := range views {
		single = append(single, eval(mirror(v, 2, 32)))
	}
	for _, c := range []struct {
		tta   TTA
		views int
	}{{TTACrops, 6}, {TTACropsFlip, 12}} {
		m.SetTTA(c.tta)
		got := eval(b.Pixels())
		m.SetTTA(TTANone)
		for i := range got.Probs {
			var mean float64
			for _, s := range single[:c.views] { // the plain views first, then the mirrors
				mean += float64(s.Probs[i])
			}
			mean /= float64(c.views)
			if math.Abs(float64(got.Probs[i])-mean) > 1e-6 {
				t.Fatalf("%s prob %d: %v, want the mean over %d views %v", c.tta, i, got.Probs[i], c.views, mean)
			}
		}
	}
	if single[1].Probs[0] == single[0].Probs[0] {
		t.Error("a crop gave the image's probabilities: the test cannot tell")
	}
}
