package runs

import (
	"fmt"
	"github.com/reslab/reslab/resnet"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/internal/labtest"
)

// newTable is the runs page on dir with the store read.
func newTable(t *testing.T, dir string, w, h int) (*Page, *labtest.Harness) {
	t.Helper()
	c := labtest.Common(t, dir)
	p := New(c)
	p.SetSize(w, h)
	hs := &labtest.Harness{T: t, Page: p, Store: c.Store}
	labtest.Settle(t, hs.Page.Update, common.LoadRunsCmd(c.Store))
	return p, hs
}

func ids(rs []*experiments.Run) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestRunsSortFilterMarkDelete(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	s, h := newTable(t, dir, 120, 28)
	if len(s.rows) != 3 || s.rows[0].ID != "20261127-120000-r50-cccc" {
		t.Fatalf("newest first: %v", ids(s.rows))
	}
	// Sort by arch (ascending), then reverse: s steps through the visible
	// columns (run, name, data, arch).
	h.Press("s", "s", "s")
	if s.sortCol != colArch || s.rows[0].Meta.Spec.Arch != 18 {
		t.Errorf("sort by arch: %v", ids(s.rows))
	}
	h.Press("S")
	if s.rows[0].Meta.Spec.Arch != 50 {
		t.Errorf("reversed: %v", ids(s.rows))
	}
	// Filter.
	h.Press("/", "r34")
	if len(s.rows) != 1 || !strings.Contains(s.rows[0].ID, "r34") {
		t.Errorf("filter r34: %v", ids(s.rows))
	}
	h.Press("enter")
	if s.filtering || s.filter.Value() != "r34" {
		t.Error("enter did not keep the filter")
	}
	h.Press("esc")
	if len(s.rows) != 3 {
		t.Errorf("esc did not clear the filter: %v", ids(s.rows))
	}
	// Mark two runs, in order.
	h.Press("g", "space", "space")
	if len(s.marked) != 2 {
		t.Fatalf("marked %v", s.marked)
	}
	// Delete the third, with confirmation.
	h.Press("G", "d")
	victim := s.current().ID
	if s.confirm != victim || !strings.Contains(s.View(), "delete run "+victim) {
		t.Fatalf("no confirmation for %s", victim)
	}
	h.Press("n")
	if _, err := os.Stat(filepath.Join(dir, victim)); err != nil {
		t.Fatal("n deleted the run")
	}
	h.Press("d", "y")
	if _, err := os.Stat(filepath.Join(dir, victim)); !os.IsNotExist(err) {
		t.Fatalf("y did not delete %s: %v", victim, err)
	}
	if len(s.all) != 2 {
		t.Errorf("table not reloaded: %v", ids(s.all))
	}
}

func TestRunDetailsAndResume(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	s, h := newTable(t, dir, 120, 58)
	h.Press("G", "enter") // the oldest: r18 with predictions
	v := s.View()
	for _, want := range []string{"run 20261127-100000-r18-aaaa", "confusion matrix at the best epoch", "checker", "loss by epoch", "epoch  train loss"} {
		if !strings.Contains(v, want) {
			t.Errorf("details lack %q:\n%s", want, v)
		}
	}
	h.Press("r")
	if _, ok := labtest.Last[common.ResumeMsg](h); ok {
		t.Error("a completed run resumed")
	}
	h.Press("esc", "g", "r") // back to the table; the stopped r50
	if msg, ok := labtest.Last[common.ResumeMsg](h); !ok || msg.ID != "20261127-120000-r50-cccc" {
		t.Fatalf("r on a stopped run: %#v", msg)
	}
}

func TestRunsOpenOtherPages(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	store, _ := experiments.OpenStore(dir)
	if err := store.SaveComparison(experiments.Comparison{Name: "depths", Runs: []string{"20261127-100000-r18-aaaa", "20261127-110000-r34-bbbb"}, Metric: "val_loss", XAxis: "time"}); err != nil {
		t.Fatal(err)
	}
	s, h := newTable(t, dir, 120, 28)
	// Marked runs go to compare, in the order marked.
	h.Press("G", "space", "k", "space", "c")
	if msg, ok := labtest.Last[common.CompareOpenMsg](h); !ok || len(msg.IDs) != 2 || msg.IDs[0] != "20261127-100000-r18-aaaa" || msg.Comparison != nil {
		t.Errorf("c: %#v", msg)
	}
	// A saved comparison reopens with its settings.
	h.Press("tab", "enter")
	if msg, ok := labtest.Last[common.CompareOpenMsg](h); !ok || msg.Comparison == nil || msg.Comparison.Name != "depths" || msg.Comparison.XAxis != "time" {
		t.Errorf("reopen: %#v", msg)
	}
	// w trains from a run's best weights; a run without any is refused.
	h.Press("G", "w")
	if msg, ok := labtest.Last[common.StartFromMsg](h); !ok || msg.Run.ID != "20261127-100000-r18-aaaa" {
		t.Errorf("w: %#v", msg)
	}
	labtest.WriteRun(t, dir, labtest.FakeRun{ID: "20261127-130000-r18-dddd", Depth: 18, State: experiments.StateInterrupted})
	labtest.Settle(t, s.Update, common.LoadRunsCmd(store))
	h.Press("g", "w")
	if fm, ok := labtest.Last[common.FlashMsg](h); !ok || !strings.Contains(fm.Text, "no best weights") {
		t.Errorf("a run without best weights: %#v", fm)
	}
}

// TestMarkIDsMarksASweep: the lab marks a sweep's runs as they start, so c
// compares them at once.
func TestMarkIDsMarksASweep(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	s, h := newTable(t, dir, 120, 28)
	h.Send()
	labtest.Settle(t, s.Update, s.MarkIDs([]string{"20261127-110000-r34-bbbb", "20261127-100000-r18-aaaa"}))
	if len(s.marked) != 2 || s.marked[0] != "20261127-110000-r34-bbbb" || !strings.Contains(s.View(), "2 marked") {
		t.Fatalf("marked %v", s.marked)
	}
}

// At 80 columns some columns are left out; sorting never picks one of them.
func TestRunsSortSkipsHiddenColumns(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	s, h := newTable(t, dir, 80, 24)
	visible := s.visibleColumns()
	if len(visible) >= len(runsHeader)-1 {
		t.Fatalf("at 80 columns every column shows (%v): the test needs a narrower page", visible)
	}
	seen := map[int]bool{}
	for range 2 * len(runsHeader) {
		h.Press("s")
		if !slices.Contains(visible, s.sortCol) {
			t.Fatalf("sorted by hidden column %q (visible %v)", runsHeader[s.sortCol], visible)
		}
		seen[s.sortCol] = true
	}
	if len(seen) != len(visible) {
		t.Errorf("s reached %d of the %d visible columns", len(seen), len(visible))
	}
}

// A run's details name its most-confused classes and worst-predicted
// images; p opens predict at the worst one, and G reaches the end.
func TestRunDetailsConfusionAndWorst(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	s, h := newTable(t, dir, 120, 200)
	h.Press("G", "enter")
	v := s.View()
	for _, want := range []string{"most confused (true → predicted)", "→", "worst predicted"} {
		if !strings.Contains(v, want) {
			t.Errorf("details lack %q:\n%s", want, v)
		}
	}
	worst := experiments.WorstPredictions(s.details.preds, 1)
	if len(worst) == 0 {
		t.Fatal("the fake run has no wrong predictions")
	}
	h.Press("p")
	if msg, ok := labtest.Last[common.PredictOpenMsg](h); !ok || msg.Image != worst[0].Path || msg.A != "20261127-100000-r18-aaaa" {
		t.Errorf("p sent %+v, want the worst image %s", msg, worst[0].Path)
	}
	// At a small height G scrolls to the last lines.
	s.SetSize(120, 12)
	h.Press("G")
	if v := s.View(); !strings.Contains(v, filepath.Base(worst[0].Path)) {
		t.Errorf("G did not reach the end:\n%s", v)
	}
}

// A saved sweep is listed below the runs with its progress; enter opens
// its statistics: each arm's mean curve, the table and the verdict.
func TestSweepListedAndOpened(t *testing.T) {
	dir := t.TempDir()
	store, _ := experiments.OpenStore(dir)
	axes := []experiments.Axis{{Key: "arch", Values: []string{"resnet18", "resnet34"}}}
	var arms []experiments.Arm
	for _, d := range []int{18, 34} {
		s := experiments.DefaultSpec()
		s.Arch = resnet.Arch(d)
		v := []string{s.Arch.String()}
		arms = append(arms, experiments.Arm{Label: experiments.ArmLabel(axes, v), Values: v, Spec: s})
	}
	sw, err := experiments.NewSweep("depths", axes, arms, 3, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateSweep(sw); err != nil {
		t.Fatal(err)
	}
	// Five of six runs finished: r18 right on every image, r34 on a third.
	for _, r := range sw.Runs[:5] {
		var top []int
		for i := range 30 {
			top = append(top, i%6)
			if r.Arm == 1 && i%3 != 0 {
				top[i] = (i + 1) % 6
			}
		}
		labtest.WriteRun(t, dir, labtest.FakeRun{ID: fmt.Sprintf("20261127-1%05d-r%d-sw%02d", r.Index, r.Spec.Arch.Depth(), r.Index),
			Depth: r.Spec.Arch.Depth(), Epochs: labtest.Epochs(3, 0.5-0.2*float64(r.Arm)), State: experiments.StateCompleted, Top1: top,
			Sweep: &experiments.SweepRef{Name: "depths", Index: r.Index}})
	}
	s, h := newTable(t, dir, 100, 40)
	if v := s.View(); !strings.Contains(v, "sweeps (tab):") || !strings.Contains(v, "sweep depths · 2 arms × 3 seeds × 1 folds · 5/6 done, 1 queued") {
		t.Fatalf("the sweep is not listed:\n%s", v)
	}
	h.Press("tab", "enter")
	v := s.View()
	for _, want := range []string{"sweep depths", "5/6 done", "val_acc by epoch", "• arch=resnet18", "○ arch=resnet34",
		"last val acc (95% CI)", "3/3", "2/3", "arch=resnet18 beats arch=resnet34", "verdict: arch=resnet18"} {
		if !strings.Contains(v, want) {
			t.Errorf("sweep view lacks %q:\n%s", want, v)
		}
	}
	h.Press("tab")
	if v := s.View(); !strings.Contains(v, "val_loss by epoch") {
		t.Errorf("tab did not switch to the loss:\n%s", v)
	}
	h.Press("esc")
	if s.sweep != nil {
		t.Error("esc did not close the sweep")
	}
}

// A sweep submitted to Slurm shows its job's tasks, asked of Slurm in the
// background (here Slurm cannot answer, so the view says so), and the
// asking stops when the view closes.
func TestSweepViewAsksSlurm(t *testing.T) {
	dir := t.TempDir()
	store, _ := experiments.OpenStore(dir)
	arms := []experiments.Arm{{Label: "base", Values: []string{}, Spec: experiments.DefaultSpec()}}
	sw, _ := experiments.NewSweep("cl", nil, arms, 2, 0, 1)
	sw.Slurm = append(sw.Slurm, experiments.SlurmJob{JobID: "42"})
	if err := store.CreateSweep(sw); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir()) // no squeue: the answer is an error, at once
	s, h := newTable(t, dir, 100, 30)
	h.Press("tab", "enter")
	if s.sweep == nil || !strings.HasPrefix(s.sweep.slurm, "slurm job 42: state not available") {
		t.Fatalf("slurm line %q\n%s", s.sweep.slurm, s.View())
	}
	if v := s.View(); !strings.Contains(v, "slurm job 42: state not available") {
		t.Errorf("the view does not show it:\n%s", v)
	}
	h.Press("esc")
	if cmd := s.Update(sweepSlurmAskMsg{name: "cl"}); cmd != nil {
		t.Error("a closed sweep view still asks Slurm")
	}
}

// The list of saved comparisons reaches its ends with G and g, as every
// scrolling view does.
func TestSavedComparisonsReachTheirEnds(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	store, _ := experiments.OpenStore(dir)
	for _, name := range []string{"a-first", "b-middle", "c-last"} {
		if err := store.SaveComparison(experiments.Comparison{Name: name, Runs: []string{"20261127-100000-r18-aaaa", "20261127-110000-r34-bbbb"}, Metric: "val_acc"}); err != nil {
			t.Fatal(err)
		}
	}
	_, h := newTable(t, dir, 120, 28)
	h.Press("tab", "G", "enter")
	last, ok := labtest.Last[common.CompareOpenMsg](h)
	h.Press("tab", "G", "g", "enter")
	first, ok2 := labtest.Last[common.CompareOpenMsg](h)
	if !ok || !ok2 || last.Comparison == nil || first.Comparison == nil || last.Comparison.Name == first.Comparison.Name {
		t.Fatalf("G then g opened %#v and %#v", last.Comparison, first.Comparison)
	}
	names := []string{first.Comparison.Name, last.Comparison.Name}
	if names[0] == "b-middle" || names[1] == "b-middle" {
		t.Errorf("g/G stopped in the middle: %v", names)
	}
}
