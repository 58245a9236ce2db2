package experiments

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/internal/safetensors"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

// stoppedRun trains tinySpec for 4 planned epochs and stops it after the
// second, leaving a resumable run.
func stoppedRun(t *testing.T) (*Runner, *Store, string) {
	t.Helper()
	spec := tinySpec()
	spec.Epochs = 4
	return stoppedRunOf(t, spec, 2)
}

// stoppedRunOf starts spec and stops it once epoch after has ended (in
// the epoch after it, or at its end).
func stoppedRunOf(t *testing.T, spec Spec, after int) (*Runner, *Store, string) {
	t.Helper()
	store, _ := OpenStore(t.TempDir())
	r := &Runner{Store: store}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := r.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for e := range sess.Events {
		if ev, ok := e.(train.EpochEvent); ok && ev.Metrics.Epoch == after {
			cancel()
		}
	}
	if res, _ := sess.Wait(); res.Status != train.StatusStopped {
		t.Fatalf("run ended %s, want stopped", res.Status)
	}
	return r, store, sess.ID
}

func finish(t *testing.T, r *Runner, id string) train.FitResult {
	t.Helper()
	sess, err := r.Resume(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}
	res, err := sess.Wait()
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	return res
}

// TestTornMetricsLineSurvivesResume: a last line torn by a full disk is
// cut off when the run resumes, so the next epoch does not land on the
// fragment and the run stays readable with every epoch.
func TestTornMetricsLineSurvivesResume(t *testing.T) {
	r, store, id := stoppedRun(t)
	run, _ := store.Load(id)
	f, err := os.OpenFile(run.Path(MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"epoch":3,"train_lo`) // what a write cut short by a full disk leaves
	f.Close()
	run, err = store.Load(id)
	if err != nil || len(run.Metrics) != 2 || len(run.Damage) != 1 {
		t.Fatalf("torn run reads %d epochs, damage %q, %v", len(run.Metrics), run.Damage, err)
	}
	if res := finish(t, r, id); res.Status != train.StatusCompleted {
		t.Fatalf("resumed run %s", res.Status)
	}
	runs, bad, _ := store.List()
	if len(runs) != 1 || len(bad) != 0 || len(runs[0].Metrics) != 4 || len(runs[0].Damage) != 0 {
		t.Fatalf("after resume: %d runs, bad %v, %d epochs, damage %q", len(runs), bad, len(runs[0].Metrics), runs[0].Damage)
	}
	for i, m := range runs[0].Metrics {
		if m.Epoch != i+1 {
			t.Errorf("line %d holds epoch %d", i+1, m.Epoch)
		}
	}
}

// TestAppendAfterAFragment: an epoch appended by the same process after a
// cut-short write overwrites the fragment instead of joining it.
func TestAppendAfterAFragment(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	w, err := store.Create(RunMeta{Spec: tinySpec()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.AppendMetrics(train.EpochMetrics{Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(w.Path(MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"epoch":2,"val`)
	f.Close()
	if err := w.AppendMetrics(train.EpochMetrics{Epoch: 2}); err != nil {
		t.Fatal(err)
	}
	run, err := store.Load(w.ID)
	if err != nil || len(run.Metrics) != 2 || len(run.Damage) != 0 {
		t.Fatalf("%d epochs, damage %q, %v", len(run.Metrics), run.Damage, err)
	}
}

// TestDamagedFilesDoNotHideARun: a damaged metrics line is skipped and
// reported; an unreadable status.json is rebuilt from the metrics and the
// run is listed as interrupted, and it resumes.
func TestDamagedFilesDoNotHideARun(t *testing.T) {
	r, store, id := stoppedRun(t)
	run, _ := store.Load(id)
	data, _ := os.ReadFile(run.Path(MetricsFile))
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(run.Path(MetricsFile), []byte(lines[0]+"{garbage\n"+strings.Join(lines[1:], "")), 0o644)
	for _, status := range []string{"", `{"state":"stop`, "\x00\x01garbled"} {
		os.WriteFile(run.Path(StatusFile), []byte(status), 0o644)
		runs, bad, err := store.List()
		if err != nil || len(runs) != 1 || len(bad) != 0 {
			t.Fatalf("status %q: %d runs, bad %v, %v", status, len(runs), bad, err)
		}
		got := runs[0]
		if got.Status.State != StateInterrupted || got.Status.Epochs != 2 || got.Status.BestEpoch == 0 || len(got.Metrics) != 2 {
			t.Errorf("status %q: rebuilt %+v from %d epochs", status, got.Status, len(got.Metrics))
		}
		if d := strings.Join(got.Damage, "; "); !strings.Contains(d, "line 2 is damaged") || !strings.Contains(d, "status.json was unreadable") {
			t.Errorf("status %q: damage says %q", status, d)
		}
	}
	if res := finish(t, r, id); res.Status != train.StatusCompleted || len(res.History) != 4 {
		t.Fatalf("resumed after repair: %s, %d epochs", res.Status, len(res.History))
	}
	run, _ = store.Load(id)
	if run.Status.State != StateCompleted || len(run.Damage) != 0 {
		t.Errorf("after resume: %s, damage %q", run.Status.State, run.Damage)
	}
}

// TestDamagedBestWeightsAreNamed: a run whose best weights are gone or
// damaged says which file when opened for prediction, and a resume starts
// the best checkpoint over instead of reporting weights it no longer has.
func TestDamagedBestWeightsAreNamed(t *testing.T) {
	r, store, id := stoppedRun(t)
	run, _ := store.Load(id)
	best := run.Path(BestWeightsFile)
	for _, damage := range []func(){
		func() { os.Remove(best) },
		func() { os.WriteFile(best, []byte("\x08\x00\x00\x00\x00\x00\x00\x00{\"a\":"), 0o644) },
	} {
		damage()
		if _, err := OpenRunPredictor(run, 3); err == nil || !strings.Contains(err.Error(), BestWeightsFile) || !strings.Contains(err.Error(), run.ID) {
			t.Errorf("predictor on damaged best weights: %v", err)
		}
	}
	sess, err := r.Resume(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(sess.Notes, " "), BestWeightsFile) {
		t.Errorf("resume notes %q do not mention the damaged best weights", sess.Notes)
	}
	for range sess.Events {
	}
	res, err := sess.Wait()
	if err != nil || res.Status != train.StatusCompleted || res.Best.BestEpoch < 3 {
		t.Fatalf("resumed: %s, best epoch %d, %v", res.Status, res.Best.BestEpoch, err)
	}
	run, _ = store.Load(id)
	if _, err := OpenRunPredictor(run, 3); err != nil {
		t.Errorf("after resume the best weights are still unusable: %v", err)
	}
}

// TestKilledWritesLeaveNothingBehind: temporary files of a killed write
// are removed when the run is next opened for writing, and a run that
// could not be created leaves no folder.
func TestKilledWritesLeaveNothingBehind(t *testing.T) {
	r, store, id := stoppedRun(t)
	run, _ := store.Load(id)
	for _, name := range []string{".last.optim.safetensors.tmp-123", ".status.json.tmp-9"} {
		os.WriteFile(filepath.Join(run.Dir, name), []byte("half"), 0o644)
	}
	finish(t, r, id)
	entries, _ := os.ReadDir(run.Dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("%s left behind", e.Name())
		}
	}
	// A run that cannot be written whole (here a spec whose JSON cannot be
	// encoded, as a full disk fails the same write) leaves no folder.
	fresh, _ := OpenStore(t.TempDir())
	bad := RunMeta{Spec: tinySpec()}
	bad.Spec.Dropout = nan()
	if _, err := fresh.Create(bad); err == nil {
		t.Fatal("a spec that cannot be written created a run")
	}
	if entries, _ := os.ReadDir(fresh.Dir); len(entries) != 0 {
		t.Errorf("a failed creation left %d entries", len(entries))
	}
}

func nan() float64 { return math.NaN() }

// TestRunThatCannotFitIsRefused: a network whose smallest micro-batch is
// over the budget is refused with the figure, and no run folder is made.
func TestRunThatCannotFitIsRefused(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	r := &Runner{Store: store, MemoryBudget: 64 << 20}
	spec := tinySpec()
	spec.Width, spec.Size = 64, 224
	_, err := r.Start(context.Background(), spec)
	if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), "GB") || !strings.Contains(err.Error(), "lower --size") {
		t.Fatalf("error %v", err)
	}
	if entries, _ := os.ReadDir(store.Dir); len(entries) != 0 {
		t.Fatalf("a refused run left %d entries", len(entries))
	}
}

// TestRunNamesStayInsideTheRunsFolder: a run argument that is a path
// outside the runs folder, or empty, matches nothing; ids, unique parts of
// them, names and paths to the folder's own runs do.
func TestRunNamesStayInsideTheRunsFolder(t *testing.T) {
	root := t.TempDir()
	store, _ := OpenStore(filepath.Join(root, "runs"))
	outside, _ := OpenStore(filepath.Join(root, "outside"))
	meta := RunMeta{Spec: tinySpec()}
	meta.Spec.Name = "baseline"
	w, err := store.Create(meta)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	victim, _ := outside.Create(RunMeta{Spec: tinySpec()})
	victim.Close()
	for _, bad := range []string{"", ".", "..", "../outside/" + victim.ID, filepath.Join(outside.Dir, victim.ID), "a/../../x"} {
		if _, err := store.Load(bad); !errors.Is(err, ErrBadName) && !errors.Is(err, ErrNoRun) {
			t.Errorf("Load(%q) = %v, want a refusal", bad, err)
		}
		if _, err := (&Runner{Store: store}).Resume(context.Background(), bad); err == nil {
			t.Errorf("Resume(%q) succeeded", bad)
		}
	}
	for _, good := range []string{w.ID, w.ID[:15], ShortID(w.ID), "baseline", filepath.Join(store.Dir, w.ID)} {
		if r, err := store.Load(good); err != nil || r.ID != w.ID {
			t.Errorf("Load(%q) = %v", good, err)
		}
	}
	if _, err := store.LoadComparison("../../etc/passwd"); !errors.Is(err, ErrBadName) {
		t.Errorf("LoadComparison of a path: %v", err)
	}
}

// TestUnreadableImagesAreNamedAtStart: an unreadable validation image is
// named when the run starts and left out of the counts; a class whose
// training images are all unreadable is refused before any run exists.
func TestUnreadableImagesAreNamedAtStart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := augment.WriteDemo(context.Background(), data, augment.DemoOptions{Size: 32, Train: 4, Valid: 2}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(data, "valid", augment.DemoClasses()[0], "broken.png")
	os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\n not a png"), 0o644)
	store, _ := OpenStore(t.TempDir())
	spec := tinySpec()
	spec.Data, spec.Epochs = data, 1
	sess, err := (&Runner{Store: store}).Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}
	if notes := strings.Join(sess.Notes, " | "); !strings.Contains(notes, "skipped load image "+bad) {
		t.Errorf("notes %q do not name the unreadable image", notes)
	}
	run, _ := store.Load(sess.ID)
	if run.Meta.ValidImages != 2*len(augment.DemoClasses()) || run.Status.Skipped != 1 {
		t.Errorf("%d validation images counted, %d skipped recorded", run.Meta.ValidImages, run.Status.Skipped)
	}
	class := filepath.Join(data, "train", augment.DemoClasses()[1])
	entries, _ := os.ReadDir(class)
	for _, e := range entries {
		os.WriteFile(filepath.Join(class, e.Name()), []byte("garbage"), 0o644)
	}
	before, _ := os.ReadDir(store.Dir)
	_, err = (&Runner{Store: store}).Start(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), augment.DemoClasses()[1]) || !strings.Contains(err.Error(), "no readable training image") {
		t.Fatalf("a class with no readable images: %v", err)
	}
	if after, _ := os.ReadDir(store.Dir); len(after) != len(before) {
		t.Error("the refused run left a folder")
	}
}

// TestRunKilledBeforeItsFirstCheckpointRestarts: a run with no checkpoint
// and no epoch (killed while starting) resumes by starting over in its own
// folder, to the result an uninterrupted run reaches.
func TestRunKilledBeforeItsFirstCheckpointRestarts(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	r := &Runner{Store: store}
	sess, err := r.Start(context.Background(), tinySpec())
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}
	want, _ := sess.Wait()
	run, _ := store.Load(sess.ID)
	for _, f := range []string{LastOptimFile, LastWeightsFile, BestWeightsFile, MetricsFile, PredictionsFile} {
		os.Remove(run.Path(f))
	}
	os.WriteFile(run.Path(StatusFile), []byte(`{"state":"running"}`), 0o644) // as a kill while starting leaves it
	if run, _ = store.Load(sess.ID); run.Status.State != StateInterrupted {
		t.Fatalf("state %s", run.Status.State)
	}
	got := finish(t, r, sess.ID)
	if got.Status != train.StatusCompleted || len(got.History) != len(want.History) {
		t.Fatalf("restarted: %s, %d epochs", got.Status, len(got.History))
	}
	for i := range want.History {
		if got.History[i].ValLoss != want.History[i].ValLoss {
			t.Errorf("epoch %d: val loss %v, uninterrupted %v", i+1, got.History[i].ValLoss, want.History[i].ValLoss)
		}
	}
}

// TestResumeThroughTheStoreEqualsUninterrupted: a run stopped part-way by
// its context and resumed from its files, through the real loader, ends with
// the same metrics.jsonl and last.safetensors as the same spec run straight
// through.
func TestResumeThroughTheStoreEqualsUninterrupted(t *testing.T) {
	spec := tinySpec()
	spec.Epochs = 4
	resumeEqualsStraight(t, spec, 2)
}

// A run stopped in the middle of its warm-up, with SGD's momentum buffers,
// a cosine schedule, label smoothing, clipping, a weight average and
// BatchNorm recalibrated at another size, resumes to the uninterrupted result.
func TestResumeMidScheduleEqualsUninterrupted(t *testing.T) {
	spec := tinySpec()
	spec.Epochs = 3
	spec.Optimizer, spec.Momentum, spec.Nesterov, spec.WeightDecay, spec.NoDecayNormBias = "sgd", 0.9, true, 1e-4, true
	spec.LR, spec.Schedule, spec.WarmupEpochs = 0.05, "cosine", 1.5
	spec.LabelSmoothing, spec.ClipNorm, spec.EMADecay = 0.1, 5, 0.99
	spec.EvalSize, spec.RecalibrateBN = 40, 2
	resumeEqualsStraight(t, spec, 1)
}

// resumeEqualsStraight trains spec straight through and stopped after
// epoch after and resumed, and requires the same epochs and last weights.
func resumeEqualsStraight(t *testing.T, spec Spec, after int) {
	t.Helper()
	straightStore, _ := OpenStore(t.TempDir())
	sess, err := (&Runner{Store: straightStore}).Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}
	sess.Wait()
	straight, _ := straightStore.Load(sess.ID)

	r, store, id := stoppedRunOf(t, spec, after)
	finish(t, r, id)
	resumed, _ := store.Load(id)
	if len(resumed.Metrics) != len(straight.Metrics) {
		t.Fatalf("%d epochs resumed, %d straight", len(resumed.Metrics), len(straight.Metrics))
	}
	for i := range straight.Metrics {
		a, b := resumed.Metrics[i], straight.Metrics[i]
		if a.TrainLoss != b.TrainLoss || a.ValLoss != b.ValLoss || a.ValAcc != b.ValAcc {
			t.Errorf("epoch %d: resumed %+v, straight %+v", i+1, a, b)
		}
	}
	wa, _ := os.ReadFile(resumed.Path(LastWeightsFile))
	wb, _ := os.ReadFile(straight.Path(LastWeightsFile))
	fa, errA := safetensors.Decode(wa)
	fb, errB := safetensors.Decode(wb)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	for _, tb := range fb.Tensors {
		ta, _ := fa.Get(tb.Name)
		if !bytes.Equal(ta.Data, tb.Data) {
			t.Errorf("%s differs between the resumed and the straight run", tb.Name)
		}
	}
}

// TestResumeRefusesChangedDataAndTornPairs: a data set changed since the
// run started, and a resume pair from two different steps, are refused with
// what happened; the run is left as it was.
func TestResumeRefusesChangedDataAndTornPairs(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := augment.WriteDemo(context.Background(), data, augment.DemoOptions{Size: 32, Train: 6, Valid: 2}); err != nil {
		t.Fatal(err)
	}
	store, _ := OpenStore(t.TempDir())
	r := &Runner{Store: store}
	spec := tinySpec()
	spec.Data, spec.Epochs = data, 3
	ctx, cancel := context.WithCancel(context.Background())
	sess, err := r.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for e := range sess.Events {
		if _, ok := e.(train.EpochEvent); ok {
			cancel()
		}
	}
	cancel()
	run, _ := store.Load(sess.ID)
	// A torn pair: the weights say another step than the optimiser state.
	last := run.Path(LastWeightsFile)
	original, _ := os.ReadFile(last)
	f, _ := safetensors.Decode(original)
	f.Metadata["resume_tag"] = "epoch 9 step 9"
	var buf bytes.Buffer
	safetensors.Write(&buf, f.Tensors, f.Metadata)
	os.WriteFile(last, buf.Bytes(), 0o644)
	if _, err := r.Resume(context.Background(), sess.ID); err == nil || !strings.Contains(err.Error(), "different steps") {
		t.Errorf("a torn pair resumed: %v", err)
	}
	os.WriteFile(last, original, 0o644)
	// Changed data: one training image more.
	src, _ := os.ReadFile(filepath.Join(data, "train", augment.DemoClasses()[0], "0001.png"))
	os.WriteFile(filepath.Join(data, "train", augment.DemoClasses()[0], "extra.png"), src, 0o644)
	if _, err := r.Resume(context.Background(), sess.ID); err == nil || !strings.Contains(err.Error(), "changed since run") {
		t.Errorf("a changed data set resumed: %v", err)
	}
	if after, _ := store.Load(sess.ID); after.Status.State != StateStopped || len(after.Metrics) != len(run.Metrics) {
		t.Errorf("refused resumes changed the run: %s, %d epochs", after.Status.State, len(after.Metrics))
	}
}

// A completed run extended to more epochs ends where a run planned that
// long from the start ends; asking for no more epochs than it has is
// refused and changes nothing.
func TestExtendCompletedRunEqualsLongerRun(t *testing.T) {
	run := func(store *Store, epochs int) string {
		spec := tinySpec()
		spec.Epochs = epochs
		sess, err := (&Runner{Store: store}).Start(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		for range sess.Events {
		}
		sess.Wait()
		return sess.ID
	}
	longStore, _ := OpenStore(t.TempDir())
	long, _ := longStore.Load(run(longStore, 4))

	store, _ := OpenStore(t.TempDir())
	id := run(store, 2)
	r := &Runner{Store: store}
	if _, err := r.Resume(context.Background(), id); err == nil || !strings.Contains(err.Error(), "--epochs N") {
		t.Errorf("resume of a completed run: %v", err)
	}
	if _, err := r.Extend(context.Background(), id, 2); err == nil || !strings.Contains(err.Error(), "must be more") {
		t.Errorf("extend to the epochs it has: %v", err)
	}
	sess, err := r.Extend(context.Background(), id, 4)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}
	if _, err := sess.Wait(); err != nil {
		t.Fatal(err)
	}
	ext, _ := store.Load(id)
	if ext.Status.State != StateCompleted || ext.Meta.Spec.Epochs != 4 || len(ext.Metrics) != 4 {
		t.Fatalf("extended run: %s, planned %d, %d epochs", ext.Status.State, ext.Meta.Spec.Epochs, len(ext.Metrics))
	}
	for i := range long.Metrics {
		a, b := ext.Metrics[i], long.Metrics[i]
		if a.TrainLoss != b.TrainLoss || a.ValLoss != b.ValLoss {
			t.Errorf("epoch %d: extended %+v, planned long %+v", i+1, a, b)
		}
	}
}

// TestResumeNamesOtherArithmetic: a run records the convolutions and
// matrix products it started on, and a resume under others (another build,
// another CPU) says that the result will not be bit for bit an
// uninterrupted run's; a resume under the same ones says nothing.
func TestResumeNamesOtherArithmetic(t *testing.T) {
	r, store, id := stoppedRunOf(t, func() Spec { s := tinySpec(); s.Epochs = 6; return s }(), 1)
	run, err := store.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Meta.Arithmetic != resnet.Arithmetic() || run.Meta.Arithmetic == "" {
		t.Fatalf("recorded arithmetic %q, this process %q", run.Meta.Arithmetic, resnet.Arithmetic())
	}
	resumeNotes := func() string { t.Helper(); return resumeNotesOf(t, r, id) }
	if notes := resumeNotes(); strings.Contains(notes, "bit for bit") {
		t.Errorf("a resume under the same arithmetic: %q", notes)
	}
	editMeta(t, store, id, func(m *RunMeta) { m.Arithmetic = "oneDNN 9.9 convolutions, openblas" })
	if notes := resumeNotes(); !strings.Contains(notes, "not bit for bit") || !strings.Contains(notes, "oneDNN 9.9 convolutions, openblas") {
		t.Errorf("a resume under other arithmetic: %q", notes)
	}
	// The record now names both, and the run stays mixed for later resumes.
	run, err = store.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if want := "oneDNN 9.9 convolutions, openblas; then " + resnet.Arithmetic(); run.Meta.Arithmetic != want {
		t.Errorf("recorded %q, want %q", run.Meta.Arithmetic, want)
	}
	if notes := resumeNotes(); !strings.Contains(notes, "not bit for bit") {
		t.Errorf("a later resume of the mixed run: %q", notes)
	}
}

// TestResumeNamesOtherJPEGDecoder: a run records the decoder of its JPEGs,
// and a resume that decodes with the other one (libjpeg-turbo on one
// machine and not the other, or RESLAB_JPEG=go) says the result will not
// be bit for bit; resuming again under the decoder of the last part says
// nothing more.
func TestResumeNamesOtherJPEGDecoder(t *testing.T) {
	r, store, id := stoppedRunOf(t, func() Spec { s := tinySpec(); s.Epochs = 6; return s }(), 1)
	now := r.JPEG.Name()
	run, err := store.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Meta.JPEGDecoder != now {
		t.Fatalf("recorded decoder %q, this process %q", run.Meta.JPEGDecoder, now)
	}
	resumeNotes := func() string { t.Helper(); return resumeNotesOf(t, r, id) }
	if notes := resumeNotes(); strings.Contains(notes, "decodes JPEGs") {
		t.Errorf("a resume under the same decoder: %q", notes)
	}
	other := "go"
	if now == "go" {
		other = "libjpeg-turbo"
	}
	editMeta(t, store, id, func(m *RunMeta) { m.JPEGDecoder = other })
	if notes := resumeNotes(); !strings.Contains(notes, "not bit for bit") || !strings.Contains(notes, decoderLabel(other)) {
		t.Errorf("a resume under the other decoder: %q", notes)
	}
	if run, err = store.Load(id); err != nil {
		t.Fatal(err)
	}
	if want := other + "; then " + now; run.Meta.JPEGDecoder != want {
		t.Errorf("recorded %q, want %q", run.Meta.JPEGDecoder, want)
	}
	if notes := resumeNotes(); strings.Contains(notes, "decodes JPEGs") {
		t.Errorf("a resume under the decoder of the run's last part: %q", notes)
	}
}

// resumeNotesOf resumes run id and stops it again at once, for the notes
// the resume gave.
func resumeNotesOf(t *testing.T, r *Runner, id string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := r.Resume(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	cancel() // only the notes matter
	for range sess.Events {
	}
	sess.Wait()
	return strings.Join(sess.Notes, " | ")
}

// TestRunJPEGDecoderIsTheRunsLast: a run's predictor decodes as the run's
// last part did: libjpeg-turbo only where that part did, reslab's own
// decoder for the rest, records from before decoders were kept included
// (the default build's decoder then).
func TestRunJPEGDecoderIsTheRunsLast(t *testing.T) {
	for record, want := range map[string]augment.JPEGDecoder{
		"":                       augment.JPEGGo,
		"go":                     augment.JPEGGo,
		"libjpeg-turbo":          augment.JPEGFastest,
		"go; then libjpeg-turbo": augment.JPEGFastest,
		"libjpeg-turbo; then go": augment.JPEGGo,
	} {
		if got := RunJPEGDecoder(RunMeta{JPEGDecoder: record}); got != want {
			t.Errorf("record %q: %v, want %v", record, got, want)
		}
	}
	_, store, id := stoppedRunOf(t, func() Spec { s := tinySpec(); s.Epochs = 3; return s }(), 1)
	for record, want := range map[string]augment.JPEGDecoder{"go": augment.JPEGGo, "libjpeg-turbo": augment.JPEGFastest} {
		editMeta(t, store, id, func(m *RunMeta) { m.JPEGDecoder = record })
		run, err := store.Load(id)
		if err != nil {
			t.Fatal(err)
		}
		p, err := OpenRunPredictor(run, 3)
		if err != nil {
			t.Fatal(err)
		}
		if p.opts.JPEG != want {
			t.Errorf("a run decoded with %s: its predictor decodes with %v", record, p.opts.JPEG)
		}
		p.Close()
	}
}

// editMeta rewrites run id's record as edit says.
func editMeta(t *testing.T, store *Store, id string, edit func(*RunMeta)) {
	t.Helper()
	w, err := store.OpenWriter(id)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	edit(&w.Meta)
	if err := w.SaveMeta(); err != nil {
		t.Fatal(err)
	}
}

func TestJPEGDecodersLabel(t *testing.T) {
	if got, want := JPEGDecodersLabel("libjpeg-turbo; then go"), "libjpeg-turbo, then reslab's pure-Go decoder"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
