package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

func depthArms() ([]Axis, []Arm) {
	axes := []Axis{{Key: "arch", Values: []string{"resnet18", "resnet34"}}}
	var arms []Arm
	for _, v := range Combinations(axes) {
		s := tinySpec()
		s.Arch, _ = resnet.ParseArch(v[0])
		arms = append(arms, Arm{Label: ArmLabel(axes, v), Values: v, Spec: s})
	}
	return axes, arms
}

func TestNewSweepExpandsArmsSeedsFolds(t *testing.T) {
	axes, arms := depthArms()
	sw, err := NewSweep("depth", axes, arms, 2, 3, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Runs) != 12 {
		t.Fatalf("%d runs, want 2 arms × 2 seeds × 3 folds", len(sw.Runs))
	}
	// Seed by seed, fold by fold, arm by arm: the first two runs pair.
	first := sw.Runs[0].Spec
	if sw.Runs[0].Arm != 0 || sw.Runs[1].Arm != 1 || sw.Runs[1].Fold != 0 || sw.Runs[2].Fold != 1 || sw.Runs[6].Seed != first.Seed+1 {
		t.Errorf("order: %+v", sw.Runs[:7])
	}
	seen := map[string]bool{}
	for i, r := range sw.Runs {
		if r.Index != i || r.Spec.Folds != 3 || r.Spec.FoldSeed != 9 || r.Spec.Fold != r.Fold || r.Spec.Seed != r.Seed {
			t.Errorf("run %d: %+v (spec folds %d fold %d fold seed %d)", i, r, r.Spec.Folds, r.Spec.Fold, r.Spec.FoldSeed)
		}
		key := fmt.Sprint(r.Arm, r.Seed, r.Fold)
		if seen[key] {
			t.Errorf("run %d repeats arm/seed/fold %s", i, key)
		}
		seen[key] = true
	}
	if want := "depth s1 f3"; sw.Runs[5].Spec.Name != want {
		t.Errorf("run 5 is named %q, want %q", sw.Runs[5].Spec.Name, want)
	}
	for _, c := range []struct {
		name         string
		seeds, folds int
	}{{"../up", 1, 0}, {"ok", 0, 0}, {"ok", 1, 1}} {
		if _, err := NewSweep(c.name, axes, arms, c.seeds, c.folds, 1); err == nil {
			t.Errorf("NewSweep(%q, seeds %d, folds %d) succeeded", c.name, c.seeds, c.folds)
		}
	}
	bad := arms[0]
	bad.Spec.Epochs = 0
	if _, err := NewSweep("bad", axes, []Arm{bad}, 1, 0, 1); !errors.Is(err, ErrSpec) {
		t.Errorf("an arm with 0 epochs: %v, want ErrSpec", err)
	}
}

func TestSweepFileRoundTripAndDamage(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	axes, arms := depthArms()
	sw, _ := NewSweep("depth", axes, arms, 1, 0, 1)
	if err := store.CreateSweep(sw); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateSweep(sw); !errors.Is(err, ErrSweep) {
		t.Errorf("a second sweep of the same name: %v", err)
	}
	back, err := store.LoadSweep("depth")
	if err != nil || len(back.Runs) != 2 || back.Runs[1].Spec.Arch != resnet.Arch(34) {
		t.Fatalf("loaded %+v, %v", back, err)
	}
	if _, err := store.LoadSweep("../../etc"); !errors.Is(err, ErrBadName) {
		t.Errorf("a climbing name: %v", err)
	}
	if _, err := store.LoadSweep("nothing"); !errors.Is(err, ErrNoSweep) {
		t.Errorf("a missing sweep: %v", err)
	}
	os.WriteFile(filepath.Join(store.Dir, sweepsDir, "torn.json"), []byte(`{"name": "torn", "runs": [`), 0o644)
	list, bad, err := store.Sweeps()
	if err != nil || len(list) != 1 || len(bad) != 1 || bad[0].Name != "torn.json" {
		t.Errorf("Sweeps: %d good, bad %+v, %v", len(list), bad, err)
	}
	// The sweeps folder is not a run.
	if _, badRuns, _ := store.List(); len(badRuns) != 0 {
		t.Errorf("the runs list reads the sweeps folder: %+v", badRuns)
	}
}

func TestProgressPrefersTheFinishedRun(t *testing.T) {
	_, arms := depthArms()
	sw, _ := NewSweep("depth", nil, arms[:1], 3, 0, 1)
	ref := func(i int) *SweepRef { return &SweepRef{Name: "depth", Index: i} }
	runs := []*Run{ // newest first, as Store.List gives them
		{ID: "c", Meta: RunMeta{Sweep: ref(0)}, Status: RunStatus{State: StateFailed}},
		{ID: "b", Meta: RunMeta{Sweep: ref(0)}, Status: RunStatus{State: StateCompleted}},
		{ID: "x", Meta: RunMeta{Sweep: &SweepRef{Name: "other", Index: 1}}, Status: RunStatus{State: StateCompleted}},
		{ID: "a", Meta: RunMeta{Sweep: ref(1)}, Status: RunStatus{State: StateInterrupted}},
	}
	st := sw.Progress(runs)
	if st[0].Run.ID != "b" || st[0].Attempts != 2 || st[1].State != StateInterrupted || st[2].State != StateQueued || st[2].Run != nil {
		t.Errorf("progress %+v", st)
	}
	if c := Count(st); c != (SweepCounts{Done: 1, Resumable: 1, Queued: 1, Total: 3}) || c.String() != "1/3 done, 1 to resume, 1 queued" {
		t.Errorf("counts %+v %q", c, c.String())
	}
}

func TestMeanIntervalReferenceValues(t *testing.T) {
	// 1..5: mean 3, sd √2.5; t(0.975, 4) = 2.7764451.
	m := MeanInterval([]float64{1, 2, 3, 4, 5})
	half := 2.7764451051977987 * math.Sqrt(2.5) / math.Sqrt(5)
	if m.N != 5 || m.Mean != 3 || math.Abs(m.SD-math.Sqrt(2.5)) > 1e-12 || math.Abs(m.Hi-3-half) > 1e-9 || math.Abs(3-m.Lo-half) > 1e-9 {
		t.Errorf("MeanInterval(1..5) = %+v, want 3 ± %.6f", m, half)
	}
	if one := MeanInterval([]float64{0.7}); one.Lo != 0.7 || one.Hi != 0.7 {
		t.Errorf("one value: %+v", one)
	}
}

// syntheticSweep is a finished sweep of two arms × seeds × folds whose
// last-epoch predictions are right with the given per-arm probability of
// each image (deterministic: image i of a fold is right when its hash
// falls under the rate).
func syntheticSweep(t *testing.T, rates []float64, seeds, folds, imagesPerFold int) (*Sweep, []SweepRunState, lastPredictions) {
	t.Helper()
	axes := []Axis{{Key: "arch", Values: []string{"resnet18", "resnet34", "resnet50"}[:len(rates)]}}
	var arms []Arm
	for _, v := range Combinations(axes) {
		s := tinySpec()
		s.Arch, _ = resnet.ParseArch(v[0])
		arms = append(arms, Arm{Label: ArmLabel(axes, v), Values: v, Spec: s})
	}
	sw, err := NewSweep("syn", axes, arms, seeds, folds, 1)
	if err != nil {
		t.Fatal(err)
	}
	preds := map[string][]ImagePrediction{}
	var states []SweepRunState
	for _, r := range sw.Runs {
		id := fmt.Sprintf("run%d", r.Index)
		var ps []ImagePrediction
		right := 0
		for i := range imagesPerFold {
			h := float64((i*7919+int(r.Seed)*104729+r.Fold*1299709)%1000) / 1000
			p := ImagePrediction{Path: fmt.Sprintf("f%d/%d.png", r.Fold, i), Label: i % 3, Top: []int{(i + 1) % 3}}
			if h < rates[r.Arm] {
				p.Top[0] = p.Label
				right++
			}
			ps = append(ps, p)
		}
		preds[id] = ps
		acc := float64(right) / float64(imagesPerFold)
		run := &Run{ID: id, Status: RunStatus{State: StateCompleted, Seconds: 10},
			Metrics: []train.EpochMetrics{{Epoch: 1, ValAcc: acc / 2, ValLoss: 2}, {Epoch: 2, ValAcc: acc, ValLoss: 1}}}
		states = append(states, SweepRunState{SweepRun: r, Run: run, State: StateCompleted})
	}
	read := func(r *Run) ([]ImagePrediction, error) { return append([]ImagePrediction(nil), preds[r.ID]...), nil }
	return sw, states, read
}

func TestReportCallsAClearWinner(t *testing.T) {
	sw, states, read := syntheticSweep(t, []float64{0.5, 0.9}, 2, 5, 40)
	rep := sw.report(states, read)
	if len(rep.Arms) != 2 || rep.Arms[1].Pooled == nil || rep.Arms[1].Pooled.Images != 400 {
		t.Fatalf("arms %+v", rep.Arms)
	}
	a, b := rep.Arms[0].Pooled, rep.Arms[1].Pooled
	if !(b.Accuracy > 0.85 && a.Accuracy < 0.55 && b.Lo < b.Accuracy && b.Hi > b.Accuracy) {
		t.Errorf("pooled accuracies %+v %+v", a, b)
	}
	if len(rep.Comparisons) != 1 {
		t.Fatalf("comparisons %+v", rep.Comparisons)
	}
	c := rep.Comparisons[0]
	if c.Best != "arch=resnet34" || c.Paired.Shared != 400 || c.Paired.PValue > 1e-6 || c.Diff.N != 10 || c.Diff.Lo <= 0 {
		t.Errorf("comparison %+v", c)
	}
	if !strings.HasPrefix(rep.Verdict, "arch=resnet34 wins") || !strings.Contains(c.Verdict, "beats") {
		t.Errorf("verdict %q / %q", rep.Verdict, c.Verdict)
	}
	// The paired images are the same images: seed-qualified paths.
	if rep.Arms[0].Done != 10 || rep.Arms[0].LastAcc.N != 10 || rep.Arms[0].BestAcc.Mean != rep.Arms[0].LastAcc.Mean {
		t.Errorf("arm 0 %+v", rep.Arms[0])
	}
}

func TestReportWithholdsAVerdictOnWeakEvidence(t *testing.T) {
	sw, states, read := syntheticSweep(t, []float64{0.60, 0.62, 0.2}, 1, 2, 20)
	rep := sw.report(states, read)
	if len(rep.Comparisons) != 2 {
		t.Fatalf("comparisons %+v", rep.Comparisons)
	}
	var weak, strong *ArmComparison
	for i := range rep.Comparisons {
		switch rep.Comparisons[i].Other {
		case "arch=resnet50":
			strong = &rep.Comparisons[i]
		default:
			weak = &rep.Comparisons[i]
		}
	}
	if weak == nil || strong == nil || !strings.Contains(weak.Verdict, "not enough evidence") {
		t.Fatalf("comparisons %+v", rep.Comparisons)
	}
	// Holm: the smaller p is doubled, the larger kept at least as large.
	if strong.PAdjusted != math.Min(1, 2*strong.Paired.PValue) || weak.PAdjusted < strong.PAdjusted {
		t.Errorf("Holm: strong p %.3g → %.3g, weak %.3g → %.3g", strong.Paired.PValue, strong.PAdjusted, weak.Paired.PValue, weak.PAdjusted)
	}
	if !strings.Contains(rep.Verdict, "cannot be told from") && !strings.Contains(rep.Verdict, "not enough") {
		t.Errorf("verdict %q", rep.Verdict)
	}
	// Unfinished runs are counted and said.
	states[0].State, states[0].Run = StateQueued, nil
	rep = sw.report(states, read)
	if rep.Arms[0].Done != 1 || !strings.Contains(rep.Verdict, "so far: 5/6 done") {
		t.Errorf("with a queued run: done %d, verdict %q", rep.Arms[0].Done, rep.Verdict)
	}
}

// TestSweepRunContinuesWhereItStopped trains a real sweep run: it starts,
// is stopped mid-run, continues in the same folder from its checkpoint
// when asked again, and is then reported done. Every run of a fold
// validates on its fold's images.
func TestSweepRunContinuesWhereItStopped(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	r := &Runner{Store: store}
	axes, arms := depthArms()
	for i := range arms {
		arms[i].Spec.Epochs = 3
	}
	sw, err := NewSweep("cv", axes, arms[:1], 1, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := r.StartSweepRun(ctx, sw, 0)
	if err != nil {
		t.Fatal(err)
	}
	for e := range sess.Events {
		if ev, ok := e.(train.EpochEvent); ok && ev.Metrics.Epoch == 1 {
			cancel()
		}
	}
	if res, _ := sess.Wait(); res.Status != train.StatusStopped {
		t.Fatalf("stopped run ended %s", res.Status)
	}
	again, err := r.StartSweepRun(context.Background(), sw, 0)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != sess.ID {
		t.Errorf("the stopped run was not continued: %s, then %s", sess.ID, again.ID)
	}
	for range again.Events {
	}
	if res, err := again.Wait(); err != nil || res.Status != train.StatusCompleted || len(res.History) != 3 {
		t.Fatalf("continued run: %s after %d epochs, %v", res.Status, len(res.History), err)
	}
	if _, err := r.StartSweepRun(context.Background(), sw, 0); !errors.Is(err, ErrSweepRunDone) {
		t.Errorf("a completed sweep run started again: %v", err)
	}
	other, err := r.StartSweepRun(context.Background(), sw, 1)
	if err != nil {
		t.Fatal(err)
	}
	for range other.Events {
	}
	other.Wait()
	runs, _, _ := store.List()
	st := sw.Progress(runs)
	if c := Count(st); c.Done != 2 {
		t.Fatalf("progress %+v", c)
	}
	// The two folds validate on disjoint images that together are all.
	a, errA := st[0].Run.LastPredictions()
	b, errB := st[1].Run.LastPredictions()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	seen := map[string]int{}
	for _, p := range append(a, b...) {
		seen[p.Path]++
	}
	total := st[0].Run.Meta.TrainImages + st[0].Run.Meta.ValidImages
	if len(seen) != total || len(a)+len(b) != total {
		t.Errorf("folds validated %d+%d images (%d distinct) of %d", len(a), len(b), len(seen), total)
	}
	if rep := sw.Report(st); rep.Arms[0].Pooled == nil || rep.Arms[0].Pooled.Images != total {
		t.Errorf("pooled %+v", rep.Arms[0].Pooled)
	}
}
