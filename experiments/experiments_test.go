package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reslab/reslab/internal/safetensors"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/internal/setting"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

func TestMcNemarTextbook(t *testing.T) {
	cases := []struct {
		b, c int
		want float64
	}{
		{0, 5, 0.0625},              // 2·(1/2)^5
		{2, 8, 2 * 56.0 / 1024},     // 2·(1+10+45)/2^10
		{10, 10, 1},                 // balanced discordance
		{0, 0, 1},                   // no discordant pairs
		{1, 11, 2 * 13.0 / 4096},    // 2·(1+12)/2^12
		{25, 45, 0.022462895492509}, // 2·Σ_{i≤25} C(70,i)/2^70, exact in Python integers
	}
	for _, tc := range cases {
		if got := McNemar(tc.b, tc.c); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("McNemar(%d, %d) = %.12f, want %.12f", tc.b, tc.c, got, tc.want)
		}
		if McNemar(tc.b, tc.c) != McNemar(tc.c, tc.b) {
			t.Errorf("McNemar(%d, %d) is not symmetric", tc.b, tc.c)
		}
	}
}

func TestComparePredictions(t *testing.T) {
	p := func(path string, label, top int) ImagePrediction {
		return ImagePrediction{Path: path, Label: label, Top: []int{top}, Probs: []float64{0.9}}
	}
	a := []ImagePrediction{p("x", 0, 0), p("y", 1, 1), p("z", 2, 0), p("w", 0, 1), p("only-a", 0, 0)}
	b := []ImagePrediction{p("x", 0, 0), p("y", 1, 0), p("z", 2, 2), p("w", 0, 1)}
	r, err := ComparePredictions(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Shared != 4 || r.BothRight != 1 || r.OnlyA != 1 || r.OnlyB != 1 || r.BothWrong != 1 || r.PValue != 1 {
		t.Errorf("%+v", r)
	}
	b[0].Label = 2
	if _, err := ComparePredictions(a, b); err == nil {
		t.Error("different labels for one image were accepted")
	}
}

func TestSpecValidation(t *testing.T) {
	for _, name := range PresetNames() {
		s, _ := PresetSpec(name)
		if name == "keras-tutorial" {
			if s.Arch.String() != "resnet50" || s.Mode != resnet.ModeFrozen || s.Head.String() != "512,64" || s.Dropout != 0.4 ||
				s.LR != 1e-5 || s.Batch != 32 || s.Size != 224 || s.Epochs != 20 || s.Patience != 10 || s.Norm != augment.NormCaffe {
				t.Errorf("keras-tutorial differs from the reference recipe: %+v", s)
			}
		}
		if s.Mode == resnet.ModeFinetune {
			// A fine-tuning preset is valid once given the weights it needs.
			if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "needs --weights") {
				t.Errorf("preset %s without weights: %v", name, err)
			}
			s.Weights = "backbone.safetensors"
		}
		if err := s.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	s := DefaultSpec()
	s.Arch, s.Epochs, s.LR, s.Monitor, s.Norm = 20, 0, -1, "val_f1", augment.Normalization(9)
	err := s.Validate()
	for _, want := range []string{"resnet18, resnet34, resnet50 or resnet101", "epochs 0", "learning rate -1", "val_loss or val_acc", "normalisation"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	// Each problem names its setting, which is how the form places it.
	s = DefaultSpec()
	s.Size, s.Head, s.Augment.Zoom, s.PlateauFactor, s.Mode = 7, resnet.Head{0}, 2, 3, resnet.ModeFinetune
	var names []string
	for _, e := range setting.Leaves(s.Validate()) {
		names = append(names, setting.Name(e))
	}
	if got, want := strings.Join(names, ","), "size,head,zoom,plateau_factor,weights"; got != want {
		t.Errorf("settings named %s, want %s", got, want)
	}
	var fromJSON Spec
	if err := json.Unmarshal([]byte(`{"arch":"resnet20"}`), &fromJSON); err == nil || !strings.Contains(err.Error(), "resnet18, resnet34") {
		t.Errorf("spec.json with resnet20 decoded with error %v", err)
	}
	if err := json.Unmarshal([]byte(`{"norm":"sepia"}`), &fromJSON); err == nil || !strings.Contains(err.Error(), "sepia") {
		t.Errorf("spec.json with norm sepia decoded with error %v", err)
	}
	if _, err := PresetSpec("nope"); err == nil || !strings.Contains(err.Error(), "keras-tutorial") {
		t.Errorf("unknown preset: %v", err)
	}
}

// tinySpec trains a very small network on a small demo set in seconds.
func tinySpec() Spec {
	s := DefaultSpec()
	s.Width, s.Size, s.Epochs, s.Batch = 4, 32, 2, 16
	return s
}

func TestRunnerEndToEnd(t *testing.T) {
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Store: store}
	sess, err := r.Start(context.Background(), tinySpec())
	if err != nil {
		t.Fatal(err)
	}
	var epochs int
	var last train.Event
	for e := range sess.Events {
		if _, ok := e.(train.EpochEvent); ok {
			epochs++
		}
		last = e
	}
	done, ok := last.(train.DoneEvent)
	if !ok || done.Status != train.StatusCompleted || epochs != 2 {
		t.Fatalf("last event %#v after %d epochs", last, epochs)
	}
	run, err := store.Load(sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status.State != StateCompleted || len(run.Metrics) != 2 || run.Status.BestEpoch == 0 {
		t.Fatalf("status %+v, %d epochs of metrics", run.Status, len(run.Metrics))
	}
	for _, f := range []string{SpecFile, StatusFile, MetricsFile, BestWeightsFile, LastWeightsFile, LastOptimFile, PredictionsFile} {
		if _, err := os.Stat(run.Path(f)); err != nil {
			t.Errorf("run folder lacks %s", f)
		}
	}
	preds, err := run.Predictions()
	if err != nil || len(preds) != run.Meta.ValidImages {
		t.Fatalf("%d predictions for %d validation images: %v", len(preds), run.Meta.ValidImages, err)
	}
	if _, err := r.Resume(context.Background(), sess.ID); err == nil {
		t.Error("a completed run was resumed")
	}
}

func TestStoreListsGoodAndBadRuns(t *testing.T) {
	dir := t.TempDir()
	store, _ := OpenStore(dir)
	w, err := store.Create(RunMeta{Spec: tinySpec(), Classes: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	w.Status.State = StateCompleted
	w.SaveStatus()
	w.AppendMetrics(train.EpochMetrics{Epoch: 1, ValAcc: 0.5})
	w.Close()
	os.Mkdir(filepath.Join(dir, "holiday-photos"), 0o755)
	os.Mkdir(filepath.Join(dir, "20260101-000000-r18-dead"), 0o755)
	os.WriteFile(filepath.Join(dir, "20260101-000000-r18-dead", SpecFile), []byte("{not json"), 0o644)
	// A crash mid-append leaves half a line: it is ignored, the rest reads.
	f, _ := os.OpenFile(filepath.Join(w.Dir, MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"epoch":2,"val_a`)
	f.Close()

	runs, bad, err := store.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || len(runs[0].Metrics) != 1 || runs[0].Status.State != StateCompleted {
		t.Fatalf("runs %+v", runs)
	}
	if len(bad) != 2 {
		t.Fatalf("bad %+v", bad)
	}
	for _, b := range bad {
		if b.Reason == "" {
			t.Errorf("%s listed as bad without a reason", b.Name)
		}
	}
	if _, err := store.Load("2099"); !errors.Is(err, ErrNoRun) {
		t.Errorf("load of a missing run: %v", err)
	}
}

// TestKilledRunIsInterrupted runs a writer in a child process, kills it with
// SIGKILL while it holds the run, and checks the run reads as interrupted.
func TestKilledRunIsInterrupted(t *testing.T) {
	if dir := os.Getenv("RESLAB_TEST_HOLD_RUN"); dir != "" {
		store, _ := OpenStore(dir)
		w, err := store.Create(RunMeta{Spec: tinySpec()})
		if err != nil {
			os.Exit(3)
		}
		w.AppendMetrics(train.EpochMetrics{Epoch: 1})
		os.WriteFile(filepath.Join(dir, "ready"), []byte(w.ID), 0o644)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKilledRunIsInterrupted$")
	cmd.Env = append(os.Environ(), "RESLAB_TEST_HOLD_RUN="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var id []byte
	for i := 0; i < 200 && len(id) == 0; i++ {
		time.Sleep(50 * time.Millisecond)
		id, _ = os.ReadFile(filepath.Join(dir, "ready"))
	}
	if len(id) == 0 {
		cmd.Process.Kill()
		t.Fatal("child never created its run")
	}
	store, _ := OpenStore(dir)
	run, err := store.Load(string(id))
	if err != nil || run.Status.State != StateRunning {
		t.Fatalf("live run reads as %v (%v)", run.Status.State, err)
	}
	if err := store.Delete(string(id)); !errors.Is(err, ErrLocked) {
		t.Errorf("deleting a live run: %v", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	run, err = store.Load(string(id))
	if err != nil || run.Status.State != StateInterrupted || len(run.Metrics) != 1 {
		t.Fatalf("killed run reads as %v with %d epochs (%v)", run.Status.State, len(run.Metrics), err)
	}
}

func TestResumeAfterStop(t *testing.T) {
	r, store, id := stoppedRun(t)
	if run, _ := store.Load(id); run.Status.State != StateStopped {
		t.Fatalf("status on disk %s", run.Status.State)
	}
	if res := finish(t, r, id); res.Status != train.StatusCompleted || len(res.History) != 4 {
		t.Fatalf("resumed: %s, %d epochs", res.Status, len(res.History))
	}
	if run, _ := store.Load(id); len(run.Metrics) != 4 {
		t.Errorf("metrics.jsonl holds %d epochs", len(run.Metrics))
	}
}

var _ = augment.DemoClasses

// TestPredictSplit: classifying the validation split with a run's best
// weights reproduces the predictions saved at its best epoch; a test split
// (here a copy of the validation images) gets the same classes; a data set
// without test/ says so.
func TestPredictSplit(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := augment.WriteDemo(context.Background(), data, augment.DemoOptions{Size: 32, Train: 12, Valid: 4}); err != nil {
		t.Fatal(err)
	}
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec := tinySpec()
	spec.Data = data
	sess, err := (&Runner{Store: store}).Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}
	run, err := store.Load(sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := OpenRunPredictor(run, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.PredictSplit(context.Background(), run, "test"); err == nil || !strings.Contains(err.Error(), "no test/ folder") {
		t.Errorf("test split of a data set without one: %v", err)
	}
	saved, err := run.Predictions()
	if err != nil {
		t.Fatal(err)
	}
	valid, err := p.PredictSplit(context.Background(), run, "valid")
	if err != nil {
		t.Fatal(err)
	}
	if len(valid) != len(saved) || len(valid) != 6*4 {
		t.Fatalf("%d predictions, %d saved, want %d", len(valid), len(saved), 6*4)
	}
	for i := range valid {
		v, s := valid[i], saved[i]
		if v.Path != s.Path || v.Label != s.Label || !slices.Equal(v.Top, s.Top) {
			t.Fatalf("image %d: %+v, saved at the best epoch %+v", i, v, s)
		}
		for j := range v.Probs {
			if math.Abs(v.Probs[j]-s.Probs[j]) > 1e-4 {
				t.Fatalf("image %d class %d: probability %v, saved %v", i, v.Top[j], v.Probs[j], s.Probs[j])
			}
		}
	}

	if err := os.CopyFS(filepath.Join(data, "test"), os.DirFS(filepath.Join(data, "valid"))); err != nil {
		t.Fatal(err)
	}
	test, err := p.PredictSplit(context.Background(), run, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(test) != len(valid) {
		t.Fatalf("%d test predictions, want %d", len(test), len(valid))
	}
	for i := range test {
		if !strings.Contains(test[i].Path, string(filepath.Separator)+"test"+string(filepath.Separator)) || !slices.Equal(test[i].Top, valid[i].Top) {
			t.Fatalf("test image %d: %+v, its validation twin %+v", i, test[i], valid[i])
		}
	}
}

// TestChartAxes: a log-scale chart labels its y axis with the values, not
// their logarithms (no negative "losses"); a whole-number x axis puts every
// tick on an epoch, evenly.
func TestChartAxes(t *testing.T) {
	out := Chart([][]float64{{2, 0.5, 0.05, 0.01}}, ChartOptions{Height: 5, Log: true, Caption: "loss"})
	if strings.Contains(out, "-") || !strings.Contains(out, "0.01") || !strings.Contains(out, ", log") {
		t.Errorf("log chart:\n%s", out)
	}
	for _, c := range []struct {
		lo, hi float64
		want   int
	}{{1, 3, 3}, {1, 5, 5}, {1, 8, 2}, {1, 11, 6}, {1, 13, 5}, {1, 2, 2}} {
		if got := wholeTicks(c.lo, c.hi); got != c.want {
			t.Errorf("wholeTicks(%v, %v) = %d, want %d", c.lo, c.hi, got, c.want)
		}
	}
	axis := Chart([][]float64{{1, 2, 3, 4, 5, 6, 7, 8, 9}}, EpochAxis(ChartOptions{Height: 4}, [][]float64{{1, 2, 3, 4, 5, 6, 7, 8, 9}}))
	lines := strings.Split(axis, "\n")
	ticks := strings.Fields(lines[len(lines)-1])
	if strings.Join(ticks, " ") != "1 3 5 7 9" {
		t.Errorf("9 epochs ticked %q:\n%s", ticks, axis)
	}
}

// A prediction names its class by folder (and display name when it
// differs), never by the model's 0-based index alone.
func TestClassProbLabels(t *testing.T) {
	folders := []string{"1", "10", "8"}
	names := []string{"pink primrose", "10", "bird of paradise"}
	for _, c := range []struct {
		i                int
		folders, names   []string
		label, display   string
		wantClass, wantN string
	}{
		{2, folders, names, "8 bird of paradise", "bird of paradise", "8", "bird of paradise"},
		{1, folders, names, "10", "10", "10", ""},
		{2, folders, nil, "8", "8", "8", ""},
		{7, nil, nil, "#7", "#7", "", ""},
	} {
		p := NewClassProb(c.i, 0.5, c.folders, c.names)
		if p.Index != c.i || p.Label() != c.label || p.Display() != c.display || p.Class != c.wantClass || p.Name != c.wantN {
			t.Errorf("class %d: %+v label %q display %q; want label %q display %q", c.i, p, p.Label(), p.Display(), c.label, c.display)
		}
	}
}

// The time estimate takes its speed from a run that measured more than
// its first epoch (decoding, caching) when one exists, and leaves that
// first epoch out of the median.
func TestEstimateSkipsFirstEpochOnlyRuns(t *testing.T) {
	sp := DefaultSpec()
	epochs := func(ips ...float64) []train.EpochMetrics {
		var out []train.EpochMetrics
		for i, v := range ips {
			out = append(out, train.EpochMetrics{Epoch: i + 1, ImagesPerSec: v, Seconds: 100 / v})
		}
		return out
	}
	meta := RunMeta{Spec: sp, Classes: []string{"a", "b"}, TrainImages: 100, ValidImages: 0}
	interrupted := &Run{ID: "20261202-120000-r18-newr", Meta: meta, Metrics: epochs(10)}
	steady := &Run{ID: "20261202-110000-r18-oldr", Meta: meta, Metrics: epochs(10, 100, 100, 100)}
	e, err := EstimateSpec(sp, EstimateInput{Classes: 2, TrainImages: 100, Budget: 8 << 30, Runs: []*Run{interrupted, steady}})
	if err != nil {
		t.Fatal(err)
	}
	// 100 training images at 100 img/s; validation of 0 images.
	if math.Abs(e.SecPerEpoch-1) > 1e-9 || !strings.Contains(e.Basis, "oldr") {
		t.Errorf("estimate %v s/epoch from %q; want 1 s from the steady run", e.SecPerEpoch, e.Basis)
	}
	// With only the interrupted run, it is used and said to be so.
	e, _ = EstimateSpec(sp, EstimateInput{Classes: 2, TrainImages: 100, Budget: 8 << 30, Runs: []*Run{interrupted}})
	if math.Abs(e.SecPerEpoch-10) > 1e-9 || !strings.Contains(e.Basis, "first epoch only") {
		t.Errorf("estimate %v s/epoch from %q", e.SecPerEpoch, e.Basis)
	}
}

func TestMostConfusedAndWorst(t *testing.T) {
	preds := []ImagePrediction{
		{Path: "a", Label: 0, Top: []int{1, 0}, Probs: []float64{0.6, 0.3}},
		{Path: "b", Label: 0, Top: []int{1, 0}, Probs: []float64{0.9, 0.1}},
		{Path: "c", Label: 2, Top: []int{0, 2}, Probs: []float64{0.5, 0.4}},
		{Path: "d", Label: 1, Top: []int{1, 0}, Probs: []float64{0.99, 0.01}},
	}
	pairs := ConfusionMatrix(preds, 3).MostConfused(5)
	if len(pairs) != 2 || pairs[0] != (ConfusedPair{True: 0, Pred: 1, Count: 2}) || pairs[1] != (ConfusedPair{True: 2, Pred: 0, Count: 1}) {
		t.Errorf("most confused %+v", pairs)
	}
	worst := WorstPredictions(preds, 2)
	if len(worst) != 2 || worst[0].Path != "b" || worst[1].Path != "a" {
		t.Errorf("worst %+v", worst)
	}
}

// A time axis's range is widened to round steps, so its ticks are distinct
// round values (1s 1s 2s 2s 3s was the bug).
func TestNiceRange(t *testing.T) {
	for _, c := range []struct {
		lo, hi   float64
		wlo, whi float64
		ticks    int
	}{
		{0.9, 3.1, 0, 4, 5},   // 1 s steps
		{1.2, 9.5, 0, 10, 6},  // 2 s steps
		{10, 290, 0, 300, 6},  // 60 s
		{3, 3590, 0, 3600, 5}, // 15 min
		{5, 5, 5, 6, 2},       // one point
	} {
		lo, hi, n := NiceRange(c.lo, c.hi)
		if lo != c.wlo || hi != c.whi || n != c.ticks {
			t.Errorf("NiceRange(%v, %v) = %v, %v, %d ticks; want %v, %v, %d", c.lo, c.hi, lo, hi, n, c.wlo, c.whi, c.ticks)
		}
	}
}

// Wilson's interval against values computed by hand (and by R's
// prop.test without continuity correction / statsmodels' proportion_confint
// method="wilson").
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{
		{36, 43, 0.7003, 0.9188},
		{0, 10, 0, 0.2775},
		{10, 10, 0.7225, 1},
		{50, 100, 0.4038, 0.5962},
	} {
		lo, hi := Wilson(c.k, c.n)
		if math.Abs(lo-c.lo) > 5e-4 || math.Abs(hi-c.hi) > 5e-4 {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if got := FormatInterval(36.0/43, 43); got != "83.7% (70.0–91.9)" {
		t.Errorf("FormatInterval: %q", got)
	}
}

// A frozen backbone of random weights is warned about when the run starts.
func TestFrozenRandomBackboneIsWarned(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	spec := tinySpec()
	spec.Mode, spec.Epochs = resnet.ModeFrozen, 1
	sess, err := (&Runner{Store: store}).Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}
	sess.Wait()
	if !slices.Contains(sess.Notes, FrozenRandomWarning) {
		t.Errorf("notes %q lack the warning", sess.Notes)
	}
}

// TestRecalibratedStatisticsReachTheCheckpoint: with recalibration on, the
// best checkpoint's BatchNorm statistics are the average of the
// recalibration batches (torchvision's num_batches_tracked counts them),
// not the trail of the training steps.
func TestRecalibratedStatisticsReachTheCheckpoint(t *testing.T) {
	tracked := func(spec Spec) int64 {
		t.Helper()
		store, _ := OpenStore(t.TempDir())
		sess, err := (&Runner{Store: store}).Start(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		for range sess.Events {
		}
		if _, err := sess.Wait(); err != nil {
			t.Fatal(err)
		}
		run, _ := store.Load(sess.ID)
		f, err := safetensors.ReadFile(run.Path(BestWeightsFile))
		if err != nil {
			t.Fatal(err)
		}
		tt, ok := f.Get("layer4.1.bn2.num_batches_tracked")
		if !ok {
			t.Fatal("no layer4.1.bn2.num_batches_tracked in the checkpoint")
		}
		n, err := tt.Int64s()
		if err != nil {
			t.Fatal(err)
		}
		return n[0]
	}
	spec := tinySpec()
	spec.Epochs = 1
	if n := tracked(spec); n <= 3 {
		t.Fatalf("without recalibration %d batches tracked, want every training step's (more than 3)", n)
	}
	spec.EvalSize, spec.RecalibrateBN = 40, 3
	if n := tracked(spec); n != 3 {
		t.Errorf("recalibrated on 3 batches: %d tracked, want 3", n)
	}
}
