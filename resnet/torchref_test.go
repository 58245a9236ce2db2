package resnet

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/reslab/reslab/internal/safetensors"
	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/train"
)

// torchFixture is one file written by tools/torchref/make_fixtures.py: a
// model's weights plus PyTorch's outputs on a fixed input.
type torchFixture struct {
	file   *safetensors.File
	cfg    Config
	input  []float32
	labels []int
}

func loadTorchFixture(t *testing.T, name string) torchFixture {
	t.Helper()
	f, err := safetensors.ReadFile(filepath.Join("testdata", "torchref", name+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata
	atoi := func(k string) int {
		v, err := strconv.Atoi(md[k])
		if err != nil {
			t.Fatalf("metadata %s=%q: %v", k, md[k], err)
		}
		return v
	}
	hidden, err := ParseHead(md["head"])
	if err != nil {
		t.Fatal(err)
	}
	dropout, _ := strconv.ParseFloat(md["dropout"], 64)
	cfg := Config{Depth: atoi("depth"), Width: atoi("width"), InputSize: atoi("size"), Classes: atoi("classes"),
		Pooling: Pooling(md["pooling"]), Hidden: hidden, Dropout: dropout, Mode: ModeFinetune}
	fx := torchFixture{file: f, cfg: cfg, input: fixtureF32(t, f, "input")}
	lt, _ := f.Get("labels")
	ls, err := lt.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		fx.labels = append(fx.labels, int(l))
	}
	return fx
}

func fixtureF32(t *testing.T, f *safetensors.File, name string) []float32 {
	t.Helper()
	tt, ok := f.Get(name)
	if !ok {
		t.Fatalf("fixture has no %s", name)
	}
	v, err := tt.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// weightsOnly keeps the model's tensors: everything that is not an input,
// an output or a tolerance of the fixture.
func (fx torchFixture) weightsOnly() *safetensors.File {
	out := &safetensors.File{}
	for _, tt := range fx.file.Tensors {
		n := tt.Name
		if n == "input" || n == "labels" || strings.HasPrefix(n, "eval.") || strings.HasPrefix(n, "train.") ||
			strings.HasPrefix(n, "grad.") || strings.HasPrefix(n, "after_train.") || strings.HasPrefix(n, "f32_relerr.") ||
			strings.HasPrefix(n, "recal.") {
			continue
		}
		out.Tensors = append(out.Tensors, tt)
	}
	return out
}

// tolerance is 1e-4 relative, or ten times what float32 PyTorch itself
// missed the float64 reference by where that is larger, but never above
// 1e-3: a fixture too ill-conditioned for that must be made better (as the
// Bottleneck fixtures' near-identity residual branches are), not tolerated.
func (fx torchFixture) tolerance(name string) float64 {
	tol := 1e-4
	if v, err := strconv.ParseFloat(fx.file.Metadata["f32_relerr."+name], 64); err == nil {
		tol = math.Max(tol, 10*v)
	}
	return math.Min(tol, 1e-3)
}

// assertClose compares got with want relative to want's largest magnitude.
func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale, worst float64
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	scale = math.Max(scale, 1e-6)
	worstAt := 0
	for i := range got {
		if d := math.Abs(float64(got[i]-want[i])) / scale; d > worst || math.IsNaN(d) {
			worst, worstAt = d, i
		}
	}
	if worst > tol || math.IsNaN(worst) {
		t.Errorf("%s: relative error %.3g at %d (got %v, want %v), tolerance %.3g", what, worst, worstAt, got[worstAt], want[worstAt], tol)
	} else {
		t.Logf("%s: %d values, relative error %.2g, tolerance %.2g", what, len(want), worst, tol)
	}
}

var torchFixtures = []string{"r18_w8_s32_linear", "r18_w8_s64_head", "r50_w8_s64_avg", "r34_w4_s32_linear", "r101_w4_s32_linear", "r18_w8_s96_winograd"}

// TestTorchParityCoversWinograd: the 96 px fixture's first two stages run
// their 3×3 convolutions by Winograd's F(2×2, 3×3) on reslab's kernels
// (24×24 and 12×12 planes at batch 8), so TestTorchParity checks that
// arithmetic against PyTorch's too.
func TestTorchParityCoversWinograd(t *testing.T) {
	defer kernel.UseProduct("")
	for _, product := range kernel.Products() {
		if err := kernel.UseProduct(product); err != nil {
			t.Fatal(err)
		}
		ours := product == "avx512" || product == "avx2"
		for _, layer := range [][8]int{{8, 8, 24, 24, 8, 3, 1, 1}, {8, 16, 12, 12, 16, 3, 1, 1}} {
			l := layer
			if got := kernel.UsesWinograd(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]); got != ours {
				t.Errorf("product %s: layer %v by Winograd %v, want %v", product, l, got, ours)
			}
		}
	}
}

// TestTorchParity checks eval logits, train-mode loss and logits, gradients
// and BatchNorm running statistics against PyTorch on the same weights.
//
// It runs on each matrix product the build has on this CPU: OpenBLAS, or
// reslab's AVX-512 and AVX2 kernels and gonum's (which CPUs without them use).
func TestTorchParity(t *testing.T) {
	defer kernel.UseProduct("")
	for _, product := range kernel.Products() {
		if err := kernel.UseProduct(product); err != nil {
			t.Fatal(err)
		}
		for _, name := range torchFixtures {
			t.Run(product+"/"+name, func(t *testing.T) { torchParity(t, name) })
		}
	}
}

func torchParity(t *testing.T, name string) {
	if testing.Short() && strings.HasPrefix(name, "r101") {
		t.Skip("short")
	}
	fx := loadTorchFixture(t, name)
	m, err := NewModel(fx.cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Every output shares buffers, filled with NaN as they change hands: an
	// op reading a value whose buffer was handed on too early, or not
	// writing all of its output, shows.
	m.sharing = kernel.Sharing{MinValues: 1, Poison: true}
	if _, err := m.loadFile(name, fx.weightsOnly(), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	batch := train.SliceBatch{Images: fx.input, Classes: fx.labels}

	logits, err := m.Logits(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "eval logits", logits, fixtureF32(t, fx.file, "eval.logits"), fx.tolerance("eval.logits"))

	loss, _, err := m.trainChunk(batch, 0, batch.Len())
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "train loss", []float32{float32(loss)}, fixtureF32(t, fx.file, "train.loss"), fx.tolerance("train.loss"))
	if p := m.graphs[graphTrain].buffers; p.SharedOps < 10 || p.SharedBytes >= p.AloneBytes {
		t.Errorf("the training graph shares %d outputs' buffers (%d bytes for %d alone): the parity checks do not cover sharing", p.SharedOps, p.SharedBytes, p.AloneBytes)
	} else {
		t.Logf("training graph: %d outputs in %d bytes of shared buffers (%d alone)", p.SharedOps, p.SharedBytes, p.AloneBytes)
	}
	train := m.graphs[graphTrain].output.Value().Data().([]float32)
	assertClose(t, "train logits", train, fixtureF32(t, fx.file, "train.logits"), fx.tolerance("train.logits"))

	params := map[string]*Param{}
	for _, p := range m.Params() {
		params[p.Name] = p
	}
	checked := 0
	for _, tt := range fx.file.Tensors {
		pname, ok := strings.CutPrefix(tt.Name, "grad.")
		if !ok {
			continue
		}
		p := params[pname]
		if p == nil {
			t.Fatalf("fixture has a gradient for %s, which the model lacks", pname)
		}
		grad := &Param{Name: p.Name, data: p.gradient(), transposed: p.transposed}
		got, _ := grad.torchTensor().Float32s()
		assertClose(t, tt.Name, got, fixtureF32(t, fx.file, tt.Name), fx.tolerance(tt.Name))
		checked++
	}
	if checked < 4 {
		t.Fatalf("only %d gradients checked", checked)
	}

	stats := map[string][]float32{}
	for _, tt := range m.Tensors() {
		if v, err := tt.Float32s(); err == nil {
			stats[tt.Name] = v
		}
	}
	for _, tt := range fx.file.Tensors {
		sname, ok := strings.CutPrefix(tt.Name, "after_train.")
		if !ok || strings.HasSuffix(sname, "num_batches_tracked") {
			continue
		}
		assertClose(t, tt.Name, stats[sname], fixtureF32(t, fx.file, tt.Name), fx.tolerance(tt.Name))
	}
}

// sliceIter serves the given batches once.
type sliceIter struct{ batches []train.Batch }

func (it *sliceIter) Next() (train.Batch, error) {
	if len(it.batches) == 0 {
		return nil, io.EOF
	}
	b := it.batches[0]
	it.batches = it.batches[1:]
	return b, nil
}

func (it *sliceIter) Close() {}

// TestRecalibrateMatchesPyTorch: BatchNorm statistics recalibrated at a
// larger input size, from two batches of unequal size, equal what
// torch.optim.swa_utils.update_bn computes on the same weights and images.
func TestRecalibrateMatchesPyTorch(t *testing.T) {
	for _, name := range []string{"r18_w8_s32_linear", "r50_w8_s64_avg", "r34_w4_s32_linear"} {
		t.Run(name, func(t *testing.T) {
			fx := loadTorchFixture(t, name)
			m, err := NewModel(fx.cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if _, err := m.loadFile(name, fx.weightsOnly(), LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			var batches []train.Batch
			for i := 0; ; i++ {
				tt, ok := fx.file.Get("recal.input" + strconv.Itoa(i))
				if !ok {
					break
				}
				px, _ := tt.Float32s()
				batches = append(batches, train.SliceBatch{Images: px, Classes: make([]int, tt.Shape[0])})
			}
			if len(batches) != 2 {
				t.Fatalf("fixture has %d recalibration batches, want 2", len(batches))
			}
			if err := m.Recalibrate(context.Background(), &sliceIter{batches: batches}); err != nil {
				t.Fatal(err)
			}
			stats := map[string][]float32{}
			for _, tt := range m.Tensors() {
				if v, err := tt.Float32s(); err == nil {
					stats[tt.Name] = v
				} else if v, err := tt.Int64s(); err == nil && len(v) == 1 {
					stats[tt.Name] = []float32{float32(v[0])}
				}
			}
			checked := 0
			for _, tt := range fx.file.Tensors {
				sname, ok := strings.CutPrefix(tt.Name, "recal.")
				if !ok || strings.HasPrefix(sname, "input") {
					continue
				}
				if strings.HasSuffix(sname, "num_batches_tracked") {
					want, err := tt.Int64s()
					if err != nil {
						t.Fatal(err)
					}
					if got := stats[sname]; len(got) != 1 || int64(got[0]) != want[0] {
						t.Errorf("%s = %v, want %v", sname, got, want)
					}
					continue
				}
				want := fixtureF32(t, fx.file, tt.Name)
				assertClose(t, tt.Name, stats[sname], want, fx.tolerance(tt.Name))
				checked++
			}
			if checked != 4 {
				t.Fatalf("%d statistics checked, want 4", checked)
			}
		})
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

// TestRecalibrateKeepsStatisticsItCannotReplace: a frozen backbone keeps
// its statistics, and so does a pass that reads no usable batch (none, or
// only lone images) or is cancelled.
func TestRecalibrateKeepsStatisticsItCannotReplace(t *testing.T) {
	fx := loadTorchFixture(t, "r18_w8_s32_linear")
	batch := func(n int) train.Batch {
		return train.SliceBatch{Images: make([]float32, n*3*48*48), Classes: make([]int, n)}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name    string
		mode    Mode
		ctx     context.Context
		batches []train.Batch
		wantErr bool
	}{
		{"frozen", ModeFrozen, context.Background(), []train.Batch{batch(2)}, false},
		{"no batches", ModeFinetune, context.Background(), nil, false},
		{"lone images", ModeFinetune, context.Background(), []train.Batch{batch(1), batch(1)}, false},
		{"cancelled", ModeFinetune, cancelled, []train.Batch{batch(2)}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fx.cfg
			cfg.Mode = tc.mode
			m, err := NewModel(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if _, err := m.loadFile("fixture", fx.weightsOnly(), LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			before := fmt.Sprint(m.net.bns[0].RunningMean, m.net.bns[0].RunningVar, m.net.bns[0].NumBatches)
			err = m.Recalibrate(tc.ctx, &sliceIter{batches: tc.batches})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if after := fmt.Sprint(m.net.bns[0].RunningMean, m.net.bns[0].RunningVar, m.net.bns[0].NumBatches); after != before {
				t.Errorf("statistics changed from %s to %s", before, after)
			}
		})
	}
}
