package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/train"
)

// runReslab runs the command line in-process and returns its exit code and
// both streams.
func runReslab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeTinyWeights saves a freshly initialised small linear-head ResNet-18.
func writeTinyWeights(t *testing.T, dir string, depth int) string {
	t.Helper()
	cfg := resnet.Config{Depth: depth, Width: 4, InputSize: 32, Classes: 7, Pooling: resnet.PoolAvg, Mode: resnet.ModeScratch}
	m, err := resnet.NewModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tiny.safetensors")
	if err := m.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func writePNG(t *testing.T, path string, w, h int, c color.NRGBA) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{c.R, uint8(x * 7), uint8(y * 5), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestPredictJSON(t *testing.T) {
	dir := t.TempDir()
	weights := writeTinyWeights(t, dir, 18)
	a, b := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	writePNG(t, a, 48, 40, color.NRGBA{R: 200})
	writePNG(t, b, 32, 32, color.NRGBA{R: 10})
	// Flags after the images, as users type them.
	code, out, errOut := runReslab(t, "predict", "--weights", weights, a, b, "--arch", "resnet18", "--topk", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON line per image, got %q", out)
	}
	for i, line := range lines {
		var p struct {
			Image string `json:"image"`
			TopK  []struct {
				Index int     `json:"index"`
				Prob  float64 `json:"prob"`
			} `json:"topk"`
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		if p.Image != []string{a, b}[i] || len(p.TopK) != 3 {
			t.Fatalf("line %d: %+v", i, p)
		}
		for j := 1; j < len(p.TopK); j++ {
			if p.TopK[j].Prob > p.TopK[j-1].Prob {
				t.Errorf("top-k not sorted: %+v", p.TopK)
			}
		}
		if p.TopK[0].Index < 0 || p.TopK[0].Index >= 7 || p.TopK[0].Prob <= 0 || p.TopK[0].Prob > 1 {
			t.Errorf("implausible top class %+v", p.TopK[0])
		}
		// The same file preprocessed as torchvision would (resize the shorter
		// side, centre-crop, ImageNet normalisation) and run in eval mode by
		// the same weights gives the same classes and probabilities.
		pixels, err := augment.PreprocessFile(p.Image, 32, augment.NormImageNet, augment.JPEGFastest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := resnet.NewModel(resnet.Config{Depth: 18, Width: 4, InputSize: 32, Classes: 7, Pooling: resnet.PoolAvg, Mode: resnet.ModeFinetune}, 9)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.LoadWeights(weights, resnet.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		ev, err := m.Eval(context.Background(), train.SliceBatch{Images: pixels, Classes: []int{-1}})
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		for j, top := range train.TopK(ev.Probs, 3) {
			if p.TopK[j].Index != top || math.Abs(p.TopK[j].Prob-float64(ev.Probs[top])) > 1e-6 {
				t.Errorf("%s: top %d is class %d p=%v, the reference says class %d p=%v", p.Image, j+1, p.TopK[j].Index, p.TopK[j].Prob, top, ev.Probs[top])
			}
		}
	}
}

func TestPredictErrors(t *testing.T) {
	dir := t.TempDir()
	weights := writeTinyWeights(t, dir, 18)
	img := filepath.Join(dir, "ok.png")
	writePNG(t, img, 32, 32, color.NRGBA{R: 1})
	corrupt := filepath.Join(dir, "corrupt.jpg")
	os.WriteFile(corrupt, []byte("\xff\xd8\xff\xe0 not really a jpeg"), 0o644)

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing image", []string{"predict", "--weights", weights, filepath.Join(dir, "nope.jpg")}, 1, "nope.jpg"},
		{"corrupt image", []string{"predict", "--weights", weights, corrupt}, 1, "corrupt.jpg"},
		{"wrong architecture", []string{"predict", "--weights", weights, "--arch", "resnet50", img}, 1, "holds resnet18 weights, not resnet50"},
		{"missing weights", []string{"predict", "--weights", filepath.Join(dir, "none.safetensors"), img}, 1, "none.safetensors"},
		{"no weights flag", []string{"predict", img}, 2, "give --weights FILE"},
		{"bad arch", []string{"predict", "--weights", weights, "--arch", "resnet20", img}, 2, "resnet18, resnet34, resnet50 or resnet101"},
		{"bad flag", []string{"predict", "--frobnicate", img}, 2, "frobnicate"},
		{"unknown command", []string{"teleport"}, 2, "unknown command"},
		{"NaN dropout", []string{"train", "--no-tui", "--runs", dir, "--dropout", "NaN"}, 2, "dropout NaN: want a finite number"},
		{"NaN weight decay", []string{"train", "--no-tui", "--runs", dir, "--weight-decay", "nan"}, 2, "weight decay NaN"},
		{"extra argument", []string{"train", "--no-tui", "--runs", dir, "flowers"}, 2, `unexpected argument "flowers"`},
		{"bench mode", []string{"bench", "--mode", "bogus"}, 2, `--mode "bogus"`},
		{"path as a run", []string{"resume", "--runs", dir, "../outside/victim"}, 2, "not a path"},
		{"empty run", []string{"show", "--runs", dir, ""}, 2, "not a path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runReslab(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q does not mention %q", errOut, tc.want)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("want one line on stderr, got %q", errOut)
			}
			if out != "" {
				t.Errorf("stdout should be empty on error, got %q", out)
			}
		})
	}
}

func TestBenchJSON(t *testing.T) {
	code, out, errOut := runReslab(t, "bench", "--arch", "resnet18", "--width", "4", "--size", "32", "--batch", "2", "--steps", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res resnet.BenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.SecPerBatch <= 0 || res.PeakRSSBytes <= 0 || res.Arch != "resnet18" || res.BLAS == "" {
		t.Errorf("implausible bench result %+v", res)
	}
}

// TestBenchThreadingOptions: --workers sets the kernels' goroutines for the
// run and says so; an unknown --gemm is a usage error; the option of the
// other build is refused with a line naming the build.
func TestBenchThreadingOptions(t *testing.T) {
	small := []string{"bench", "--arch", "resnet18", "--width", "4", "--size", "32", "--batch", "2", "--steps", "1", "--warmup", "0", "--json"}
	code, out, errOut := runReslab(t, append(small, "--workers", "1")...)
	if code != 0 {
		t.Fatalf("--workers 1: exit %d: %s", code, errOut)
	}
	var res resnet.BenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Workers != 1 || res.BLASThreads != 1 {
		t.Errorf("workers %d, BLAS threads %d; want 1 and 1", res.Workers, res.BLASThreads)
	}
	if code, _, errOut := runReslab(t, append(small, "--gemm", "mkl")...); code != 2 || !strings.Contains(errOut, "--gemm") {
		t.Errorf("--gemm mkl: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runReslab(t, append(small, "--conv", "cudnn")...); code != 2 || !strings.Contains(errOut, "--conv") {
		t.Errorf("--conv cudnn: exit %d, stderr %q", code, errOut)
	}
	// --conv reslab runs reslab's own convolutions in every build.
	if code, out, errOut := runReslab(t, append(small, "--conv", "reslab")...); code != 0 {
		t.Errorf("--conv reslab: exit %d: %s", code, errOut)
	} else if err := json.Unmarshal([]byte(out), &res); err != nil || !strings.HasPrefix(res.Convolutions, "reslab") {
		t.Errorf("--conv reslab: convolutions %q (%v)", res.Convolutions, err)
	}
	other := []string{"--blas-threads", "2"}
	if strings.Contains(kernel.BLAS(), "openblas") {
		other = []string{"--gemm", "gonum"}
	} else {
		// The pure-Go build runs gonum's product for the run, then goes back.
		before := kernel.BLAS()
		code, out, errOut := runReslab(t, append(small, "--gemm", "gonum")...)
		if code != 0 {
			t.Fatalf("--gemm gonum: exit %d: %s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.BLAS != "gonum (pure Go)" {
			t.Errorf("--gemm gonum: BLAS %q (%v)", res.BLAS, err)
		}
		if after := kernel.BLAS(); after != before {
			t.Errorf("BLAS %q after the run, %q before", after, before)
		}
	}
	if code, _, errOut := runReslab(t, append(small, other...)...); code != 1 || !strings.Contains(errOut, "build") {
		t.Errorf("%v: exit %d, stderr %q", other, code, errOut)
	}
}

func TestLabNeedsTerminal(t *testing.T) {
	code, _, errOut := runReslab(t)
	if code != 2 || !strings.Contains(errOut, "needs a terminal") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// trainTiny trains a two-epoch run of a very small network on the demo set.
func trainTiny(t *testing.T, runs string, extra ...string) string {
	t.Helper()
	args := append([]string{"train", "--runs", runs, "--no-tui", "--width", "4", "--size", "32", "--epochs", "2", "--batch", "32"}, extra...)
	code, out, errOut := runReslab(t, args...)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(out, "epoch 1/2") || !strings.Contains(out, "epoch 2/2") {
		t.Fatalf("train printed no epoch lines: %q", out)
	}
	return lines[len(lines)-1] // the run id
}

func TestTrainRunsShowCompareExport(t *testing.T) {
	runs := t.TempDir()
	a := trainTiny(t, runs)
	b := trainTiny(t, runs, "--arch", "resnet34", "--name", "deeper")
	if !strings.Contains(b, "-r34-") || !strings.Contains(a, "-r18-") {
		t.Fatalf("run ids %q, %q do not name their depth", a, b)
	}
	os.Mkdir(filepath.Join(runs, "not-a-run"), 0o755)

	code, out, errOut := runReslab(t, "runs", "--runs", runs)
	if code != 0 || !strings.Contains(out, a) || !strings.Contains(out, b) || !strings.Contains(errOut, "not-a-run") {
		t.Errorf("runs: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runReslab(t, "runs", "--runs", runs, "--json")
	var listed struct {
		Runs []struct{ ID string }   `json:"runs"`
		Bad  []struct{ Name string } `json:"unreadable"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Runs) != 2 || len(listed.Bad) != 1 {
		t.Errorf("runs --json: %s", out)
	}

	code, out, errOut = runReslab(t, "show", a, "--runs", runs)
	for _, want := range []string{"resnet18", "confusion matrix", "train loss", "checker", "most confused (true → predicted)", "computed with " + resnet.Arithmetic()} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show lacks %q (exit %d): %s %s", want, code, out, errOut)
		}
	}

	// The best epoch's line holds that epoch's own values.
	if store, err := experiments.OpenStore(runs); err == nil {
		if run, err := store.Load(a); err == nil && run.Status.BestEpoch > 0 {
			m := run.Metrics[run.Status.BestEpoch-1]
			line := fmt.Sprintf("best epoch %d (by %s): val_acc %s", m.Epoch, run.Meta.Spec.Monitor, experiments.FormatInterval(m.ValAcc, run.Meta.ValidImages))
			if !strings.Contains(out, line) || !strings.Contains(out, fmt.Sprintf("val_loss %.4f\n", m.ValLoss)) {
				t.Errorf("show's best-epoch line is not epoch %d's values (%q, val_loss %.4f): %s", m.Epoch, line, m.ValLoss, out)
			}
		} else {
			t.Errorf("loading %s: %v (best epoch %d)", a, err, run.Status.BestEpoch)
		}
	}

	code, out, errOut = runReslab(t, "compare", "--runs", runs, a, b, "--metric", "val_loss", "--save", "depths")
	if code != 0 || !strings.Contains(out, "val_loss by epoch") || !strings.Contains(out, "(reference)") || !strings.Contains(out, "p vs first") {
		t.Errorf("compare: exit %d: %s %s", code, out, errOut)
	}
	code, out, _ = runReslab(t, "compare", "--runs", runs, "--open", "depths", "--json")
	var cmp struct {
		Metric string
		Runs   []struct {
			ID     string
			Name   string `json:"name"`
			Data   string `json:"data"`
			Versus *struct {
				PValue float64 `json:"p_value"`
				OnlyA  *int    `json:"only_a"`
			} `json:"versus_first"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &cmp) != nil || cmp.Metric != "val_loss" || len(cmp.Runs) != 2 || cmp.Runs[1].Versus == nil ||
		cmp.Runs[1].Versus.OnlyA == nil || cmp.Runs[1].Name != "deeper" || cmp.Runs[0].Data != "demo data" {
		t.Errorf("reopened comparison: %s", out)
	}
	if p := cmp.Runs[1].Versus.PValue; p <= 0 || p > 1 {
		t.Errorf("p-value %v", p)
	}
	// The settings without a column that differ are listed (none here:
	// arch and name have their columns), [] in JSON, never null.
	if !strings.Contains(out, `"differing_settings":[]`) {
		t.Errorf("compare --json lacks an empty differing_settings: %s", out)
	}
	c := trainTiny(t, runs, "--lr", "0.01", "--rotation", "5")
	code, out, errOut = runReslab(t, "compare", "--runs", runs, a, c)
	if code != 0 || !regexp.MustCompile(`(?m)^other settings that differ +\S+ +\S+$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^lr +0\.003 +0\.01$`).MatchString(out) || !regexp.MustCompile(`(?m)^augment\.rotation +10 +5$`).MatchString(out) {
		t.Errorf("compare lists no differing settings: exit %d\n%s%s", code, out, errOut)
	}

	md := filepath.Join(t.TempDir(), "report.md")
	if code, _, errOut := runReslab(t, "export", "--runs", runs, "--md", md, a, b); code != 0 {
		t.Fatalf("export --md: %s", errOut)
	}
	report, _ := os.ReadFile(md)
	if !strings.Contains(string(report), "| run | name | data | arch |") || !strings.Contains(string(report), "## val_acc") {
		t.Errorf("report:\n%s", report)
	}
	code, out, _ = runReslab(t, "export", "--runs", runs, "--csv", "-", a)
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.HasPrefix(out, "run,arch") {
		t.Errorf("csv: %q", out)
	}

	// The best checkpoint scores, over the validation split, what the run
	// recorded at its best epoch.
	code, out, errOut = runReslab(t, "predict", "--runs", runs, "--run", a, "--split", "valid", "--json")
	var acc struct{ Accuracy float64 }
	if code != 0 || json.Unmarshal([]byte(out), &acc) != nil {
		t.Fatalf("predict --split: %d %s %s", code, out, errOut)
	}
	code, out, _ = runReslab(t, "show", "--runs", runs, "--json", a)
	var shown struct {
		Status struct {
			Best struct {
				ValAcc float64 `json:"val_acc"`
			}
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || math.Abs(shown.Status.Best.ValAcc-acc.Accuracy) > 1e-9 {
		t.Errorf("predict --split accuracy %v, run's best val_acc %v", acc.Accuracy, shown.Status.Best.ValAcc)
	}

	code, _, errOut = runReslab(t, "show", "--runs", runs, "2099")
	if code != 1 || !strings.Contains(errOut, "no such run") {
		t.Errorf("show of a missing run: %d %s", code, errOut)
	}
	code, _, errOut = runReslab(t, "train", "--runs", runs, "--lr", "-3", "--no-tui")
	if code != 2 || !strings.Contains(errOut, "learning rate -3") {
		t.Errorf("bad --lr: %d %s", code, errOut)
	}
	code, _, errOut = runReslab(t, "train", "--runs", runs, "--batch", "many")
	if code != 2 || !strings.Contains(errOut, "-batch") {
		t.Errorf("bad --batch: %d %s", code, errOut)
	}
}

func TestAugmentPreview(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "in.png")
	writePNG(t, img, 40, 30, color.NRGBA{R: 90})
	out := filepath.Join(dir, "grid.png")
	code, _, errOut := runReslab(t, "augment", "--preview", img, "--out", out, "--n", "4", "--size", "32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grid, err := png.Decode(f)
	if err != nil || grid.Bounds().Dx() < 64 || grid.Bounds().Dy() < 64 {
		t.Fatalf("grid %v: %v", grid.Bounds(), err)
	}
	code, _, errOut = runReslab(t, "augment", "--preview", filepath.Join(dir, "missing.jpg"), "--out", out)
	if code != 1 || !strings.Contains(errOut, "missing.jpg") {
		t.Errorf("missing image: exit %d, %q", code, errOut)
	}
}

// TestResumeCommand: reslab resume continues a stopped run to its end and
// prints the run id last; a completed run has nothing to resume (exit 1);
// a run that is not there is named.
func TestResumeCommand(t *testing.T) {
	runs := t.TempDir()
	store, err := experiments.OpenStore(runs)
	if err != nil {
		t.Fatal(err)
	}
	spec := experiments.DefaultSpec()
	spec.Width, spec.Size, spec.Epochs, spec.Batch = 4, 32, 3, 32
	ctx, cancel := context.WithCancel(context.Background())
	sess, err := (&experiments.Runner{Store: store}).Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for e := range sess.Events {
		if _, ok := e.(train.EpochEvent); ok {
			cancel()
		}
	}
	cancel()
	code, out, errOut := runReslab(t, "resume", "--runs", runs, sess.ID)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.Contains(out, "resumed at epoch") || !strings.Contains(out, "epoch 3/3") || lines[len(lines)-1] != sess.ID {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	if run, _ := store.Load(sess.ID); run.Status.State != experiments.StateCompleted || len(run.Metrics) != 3 {
		t.Fatalf("after resume: %s with %d epochs", run.Status.State, len(run.Metrics))
	}
	if code, _, errOut := runReslab(t, "resume", "--runs", runs, sess.ID); code != 1 || !strings.Contains(errOut, "nothing to resume") {
		t.Errorf("resume of a completed run: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runReslab(t, "resume", "--runs", runs, "2099"); code != 1 || !strings.Contains(errOut, "no such run") {
		t.Errorf("resume of a missing run: exit %d, %q", code, errOut)
	}
}

// augment --preset draws exactly what the preset's own settings, given as
// flags, draw; a flag still overrides the preset.
func TestAugmentPreviewFromPreset(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "in.png")
	writePNG(t, img, 60, 40, color.NRGBA{R: 200, G: 40, B: 90, A: 255})
	sp, err := experiments.PresetSpec("flowers-scratch")
	if err != nil {
		t.Fatal(err)
	}
	a := sp.Augment
	fromPreset, byHand, overridden := filepath.Join(dir, "p.png"), filepath.Join(dir, "h.png"), filepath.Join(dir, "o.png")
	if code, out, errOut := runReslab(t, "augment", "--preview", img, "--out", fromPreset, "--n", "4", "--preset", "flowers-scratch"); code != 0 || !strings.Contains(out, "augmented as preset flowers-scratch") {
		t.Fatalf("--preset: %d %s %s", code, out, errOut)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if code, _, errOut := runReslab(t, "augment", "--preview", img, "--out", byHand, "--n", "4", "--size", strconv.Itoa(sp.Size), "--seed", strconv.FormatInt(sp.Seed, 10),
		"--rotation", f(a.Rotation), "--shear", f(a.Shear), "--zoom", f(a.Zoom), "--flip", f(a.Flip), "--brightness", f(a.Brightness), "--contrast", f(a.Contrast),
		"--saturation", f(a.Saturation), "--crop-scale", f(a.CropScale[0])+","+f(a.CropScale[1])); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := runReslab(t, "augment", "--preview", img, "--out", overridden, "--n", "4", "--preset", "flowers-scratch", "--rotation", "0"); code != 0 {
		t.Fatal(errOut)
	}
	p, _ := os.ReadFile(fromPreset)
	h, _ := os.ReadFile(byHand)
	o, _ := os.ReadFile(overridden)
	if len(p) == 0 || !bytes.Equal(p, h) {
		t.Error("the preset's grid differs from the same settings given as flags")
	}
	if bytes.Equal(p, o) {
		t.Error("--rotation 0 did not override the preset's rotation")
	}
}

// lr-find sweeps the rate exponentially on a throwaway model and leaves
// the runs folder as it was.
func TestLRFind(t *testing.T) {
	runs := t.TempDir()
	code, out, errOut := runReslab(t, "lr-find", "--runs", runs, "--width", "4", "--size", "32", "--batch", "16", "--steps", "30", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		LRs       []float64 `json:"lrs"`
		Losses    []float64 `json:"losses"`
		Suggested float64   `json:"suggested"`
		Method    string    `json:"method"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.LRs) < 2 || len(res.LRs) != len(res.Losses) || res.Method == "" {
		t.Fatalf("lr-find --json: %v %s", err, out)
	}
	if res.LRs[0] != 1e-7 || res.LRs[1] <= res.LRs[0] {
		t.Errorf("rates %v…: want an exponential sweep from 1e-7", res.LRs[:2])
	}
	entries, _ := os.ReadDir(runs)
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("lr-find left %s in the runs folder", e.Name())
		}
	}
	if code, _, errOut := runReslab(t, "lr-find", "--steps", "3"); code != 2 || !strings.Contains(errOut, "10 to 10000 steps") {
		t.Errorf("--steps 3: %d %s", code, errOut)
	}
}

// TestImageCacheFolder: RESLAB_IMAGE_CACHE names the decoded-image cache,
// "off" turns it off, and unset it lives in the user's cache folder.
func TestImageCacheFolder(t *testing.T) {
	t.Setenv("RESLAB_IMAGE_CACHE", "off")
	if c := imageCache(); c != nil {
		t.Errorf("off: %+v", c)
	}
	t.Setenv("RESLAB_IMAGE_CACHE", "/tmp/somewhere")
	if c := imageCache(); c == nil || c.Dir != "/tmp/somewhere" {
		t.Errorf("a folder: %+v", c)
	}
	t.Setenv("RESLAB_IMAGE_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg")
	if c := imageCache(); c == nil || c.Dir != filepath.Join("/tmp/xdg", "reslab", "images") {
		t.Errorf("unset: %+v", c)
	}
}
