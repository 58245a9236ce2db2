package tui

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/components"
)

func TestSetupValidatesAsYouType(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	focusField(t, m, "epochs")
	press(t, m, "ctrl+u", "0")
	f := m.setup.byID["epochs"]
	if !strings.Contains(f.err, "want 1 to 10000") {
		t.Fatalf("epochs 0: error %q", f.err)
	}
	if !strings.Contains(m.View(), "✗ epochs 0: want 1 to 10000") {
		t.Errorf("the error is not beside the field:\n%s", m.View())
	}
	// Enter refuses and says why; no run starts.
	_, cmd := m.Update(keys("enter")[0])
	if msg := cmd(); msg == nil {
		t.Fatal("enter returned nothing")
	} else if fm, ok := msg.(flashMsg); !ok || !strings.Contains(fm.text, "fix epochs first") {
		t.Errorf("enter on a bad form: %#v", msg)
	}
	press(t, m, "ctrl+u", "12")
	if f.err != "" || !m.setup.valid() {
		t.Errorf("epochs 12 still invalid: %q %v", f.err, m.setup.other)
	}
	// A head that does not parse, and a fine-tune without weights.
	focusField(t, m, "head")
	press(t, m, "ctrl+u", "512,x")
	if e := m.setup.byID["head"].err; !strings.Contains(e, "head") {
		t.Errorf("head 512,x: %q", e)
	}
	press(t, m, "ctrl+u", "linear")
	focusField(t, m, "mode")
	press(t, m, "right")
	if m.setup.byID["mode"].value() != "finetune" || !strings.Contains(m.setup.byID["weights"].err, "weights") {
		t.Errorf("finetune without weights: mode %q, weights error %q", m.setup.byID["mode"].value(), m.setup.byID["weights"].err)
	}
}

func TestSetupKeysTypeInTextFieldsAndQuitElsewhere(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	// The data folder is a text field: q and 3 type.
	press(t, m, "up")
	_, cmd := m.Update(keys("q")[0])
	if cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("q in a text field quit the lab")
		}
	}
	press(t, m, "3")
	if v := m.setup.byID["data"].input.Value(); v != "q3" {
		t.Errorf("data field = %q, want q3", v)
	}
	if m.active != screenSetup {
		t.Error("3 in a text field switched screens")
	}
	// In a number field letters are keys: q quits.
	focusField(t, m, "width")
	_, cmd = m.Update(keys("q")[0])
	if cmd == nil {
		t.Fatal("q in a number field did nothing")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Error("q in a number field did not quit")
	}
}

func TestSetupPresetAndSweep(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	focusField(t, m, "preset")
	press(t, m, "right") // quick → flowers-scratch (sorted, wrapping)
	if w := m.setup.byID["width"].value(); w != "32" {
		t.Errorf("flowers-scratch width = %s, want 32", w)
	}
	press(t, m, "left")
	focusField(t, m, "epochs")
	press(t, m, "ctrl+u", "2")
	focusField(t, m, "sweep")
	press(t, m, "18,34")
	_, cmd := m.Update(keys("enter")[0])
	msg, ok := cmd().(startMsg)
	if !ok || len(msg.specs) != 2 {
		t.Fatalf("enter with a sweep: %#v", msg)
	}
	if msg.specs[0].Arch != 18 || msg.specs[1].Arch != 34 || msg.specs[1].Epochs != 2 {
		t.Errorf("sweep specs: %s %s epochs %d", msg.specs[0].Arch, msg.specs[1].Arch, msg.specs[1].Epochs)
	}
	press(t, m, "ctrl+u", "18,77")
	if e := m.setup.byID["sweep"].err; !strings.Contains(e, "77") {
		t.Errorf("sweep 18,77: %q", e)
	}
}

func TestSetupEstimatesFromMeasuredRuns(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 80, 24)
	e := m.setup.est
	if e.Params <= 0 || e.PeakBytes <= 0 || !e.Fits {
		t.Fatalf("estimate %+v", e)
	}
	// Not the stored runs' network (width 16, 64 px): scaled.
	if math.IsNaN(e.SecPerEpoch) || !strings.Contains(e.Basis, "scaled from") {
		t.Errorf("estimate from other runs: %v s, %q", e.SecPerEpoch, e.Basis)
	}
	focusField(t, m, "width")
	press(t, m, "ctrl+u", "8")
	focusField(t, m, "size")
	press(t, m, "ctrl+u", "32")
	e = m.setup.est
	if !strings.Contains(e.Basis, "measured 150 img/s") {
		t.Errorf("same network as a stored run: %q", e.Basis)
	}
	// 300 train images at 150 img/s, plus validation.
	if e.SecPerEpoch < 2 || e.SecPerEpoch > 3.5 {
		t.Errorf("seconds per epoch %v", e.SecPerEpoch)
	}
	// A network over the memory budget is flagged.
	press(t, m, "ctrl+u", "1024")
	focusField(t, m, "width")
	press(t, m, "ctrl+u", "256")
	if m.setup.est.Fits || !strings.Contains(m.View(), "over the") {
		t.Errorf("a huge network fits? %+v", m.setup.est)
	}
}

func TestRunScreenFollowsEvents(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 100, 30)
	spec := experiments.DefaultSpec()
	spec.Epochs, spec.Patience = 5, 3
	_, _ = m.Update(startMsg{specs: []experiments.Spec{spec}})
	if m.active != screenRun || m.training == nil {
		t.Fatal("start did not open the run screen")
	}
	ch := make(chan train.Event, 8)
	sess := &experiments.Session{ID: "20261127-130000-r18-live", Events: ch, Meta: experiments.RunMeta{Spec: spec, TrainImages: 300, ValidImages: 90}}
	_, cmd := m.Update(sessionMsg{sess: sess, spec: spec})
	if cmd == nil {
		t.Fatal("no command to read events")
	}
	for _, ev := range []train.Event{
		train.EpochEvent{Metrics: epochs(1, 0.5)[0]},
		train.CheckpointEvent{Epoch: 1, Kind: "best", Metric: "val_acc"},
		train.StepEvent{Epoch: 2, Epochs: 5, Step: 4, Steps: 10, Images: 128, Loss: 1.2, Acc: 0.4, ImagesPerSec: 120, Elapsed: 1.1},
	} {
		// The command returned re-arms the read; events are delivered here.
		_, _ = m.Update(eventMsg{id: sess.ID, ev: ev})
	}
	v := m.View()
	for _, want := range []string{"epoch 2/5", "4/10", "120 img/s", "ETA", "patience 3/3 left", "loss by epoch", "accuracy by epoch", "train", "validation", "lr 0.003", "● running"} {
		if !strings.Contains(v, want) {
			t.Errorf("run screen lacks %q:\n%s", want, v)
		}
	}
	// View toggles.
	press(t, m, "m", "L", "x")
	if !m.run.smooth || !m.run.log || !m.run.timeAxis || !strings.Contains(m.View(), "loss by time") {
		t.Errorf("toggles: smooth %v log %v time %v", m.run.smooth, m.run.log, m.run.timeAxis)
	}
	// Stop cancels the run's context.
	ctx := m.training
	press(t, m, "s")
	if !ctx.stopping {
		t.Error("s did not stop the run")
	}
	_, _ = m.Update(eventMsg{id: sess.ID, ev: train.DoneEvent{Status: train.StatusStopped, Err: context.Canceled}})
	_, _ = m.Update(eventsClosedMsg{id: sess.ID})
	if m.training != nil || !strings.Contains(m.View(), "stopped (resumable)") {
		t.Errorf("after the run ended:\n%s", m.View())
	}
	if o := m.Outcomes(); len(o) != 1 || o[0].Status != experiments.StateStopped {
		t.Errorf("outcomes %+v", o)
	}
}

func TestQuitStopsTheRunFirst(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	spec := experiments.DefaultSpec()
	_, _ = m.Update(startMsg{specs: []experiments.Spec{spec}})
	tr := m.training
	cancelled := false
	tr.cancel = func() { cancelled = true }
	ch := make(chan train.Event)
	sess := &experiments.Session{ID: "x", Events: ch, Meta: experiments.RunMeta{Spec: spec}}
	_, _ = m.Update(sessionMsg{sess: sess, spec: spec})
	_, cmd := m.Update(keys("q")[0])
	if cmd != nil {
		t.Fatal("q quit while a run was training")
	}
	if !cancelled || !m.quitting || !strings.Contains(m.View(), "saving a resumable checkpoint") {
		t.Fatalf("q did not stop the run: cancelled %v quitting %v", cancelled, m.quitting)
	}
	_, cmd = m.Update(eventsClosedMsg{id: "x"})
	if cmd == nil {
		t.Fatal("no quit once the run ended")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("the lab did not quit once the run had stopped")
	}
}

func TestSweepStartsTheNextDepth(t *testing.T) {
	fb := newFakeBackend()
	m := newLab(t, fb, "")
	sized(t, m, 80, 24)
	a, b := experiments.DefaultSpec(), experiments.DefaultSpec()
	b.Arch = 34
	_, cmd := m.Update(startMsg{specs: []experiments.Spec{a, b}})
	msg := cmd().(sessionMsg)
	_ = fb.next(t)
	_, _ = m.Update(msg)
	_, _ = m.Update(eventMsg{id: msg.sess.ID, ev: train.DoneEvent{Status: train.StatusCompleted}})
	_, cmd = m.Update(eventsClosedMsg{id: msg.sess.ID})
	// The next depth launches.
	var next sessionMsg
	for _, c := range flatten(cmd) {
		if s, ok := c().(sessionMsg); ok {
			next = s
		}
	}
	if next.sess == nil || next.spec.Arch != 34 {
		t.Fatalf("second sweep run: %+v", next)
	}
	_, _ = m.Update(next)
	if tr := m.training; tr == nil || len(tr.sweepIDs) != 2 || !strings.Contains(m.View(), "depth sweep 2/2") {
		t.Errorf("sweep state %+v\n%s", tr, m.View())
	}
	if len(m.runs.marked) != 2 {
		t.Errorf("the sweep's runs are not marked for comparison: %v", m.runs.marked)
	}
}

// flatten runs a command tree's batches into a list of leaf commands,
// skipping those that block (event reads).
func flatten(cmd tea.Cmd) []tea.Cmd {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Cmd
			for _, c := range b {
				out = append(out, flatten(c)...)
			}
			return out
		}
		return []tea.Cmd{func() tea.Msg { return msg }}
	case <-timeAfter():
		return nil
	}
}

func TestRunsSortFilterMarkDelete(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 120, 30)
	press(t, m, "3")
	s := m.runs
	if len(s.rows) != 3 || s.rows[0].ID != "20261127-120000-r50-cccc" {
		t.Fatalf("newest first: %v", ids(s.rows))
	}
	// Sort by arch (ascending), then reverse.
	press(t, m, "s")
	if s.sortCol != colArch || s.rows[0].Meta.Spec.Arch != 18 {
		t.Errorf("sort by arch: %v", ids(s.rows))
	}
	press(t, m, "S")
	if s.rows[0].Meta.Spec.Arch != 50 {
		t.Errorf("reversed: %v", ids(s.rows))
	}
	// Filter.
	press(t, m, "/", "r34")
	if len(s.rows) != 1 || !strings.Contains(s.rows[0].ID, "r34") {
		t.Errorf("filter r34: %v", ids(s.rows))
	}
	press(t, m, "enter")
	if s.filtering || s.filter.Value() != "r34" {
		t.Error("enter did not keep the filter")
	}
	press(t, m, "esc")
	if len(s.rows) != 3 {
		t.Errorf("esc did not clear the filter: %v", ids(s.rows))
	}
	// Mark two runs, in order.
	press(t, m, "g", "space", "space")
	if len(s.marked) != 2 {
		t.Fatalf("marked %v", s.marked)
	}
	// Delete the third, with confirmation.
	press(t, m, "G", "d")
	victim := s.current().ID
	if s.confirm != victim || !strings.Contains(m.View(), "delete run "+victim) {
		t.Fatalf("no confirmation for %s", victim)
	}
	press(t, m, "n")
	if _, err := os.Stat(filepath.Join(dir, victim)); err != nil {
		t.Fatal("n deleted the run")
	}
	press(t, m, "d", "y")
	if _, err := os.Stat(filepath.Join(dir, victim)); !os.IsNotExist(err) {
		t.Fatalf("y did not delete %s: %v", victim, err)
	}
	if len(s.all) != 2 {
		t.Errorf("table not reloaded: %v", ids(s.all))
	}
}

func ids(rs []*experiments.Run) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestRunDetailsAndResume(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	fb := newFakeBackend()
	m := newLab(t, fb, dir)
	sized(t, m, 120, 60)
	press(t, m, "3", "G", "enter") // the oldest: r18 with predictions
	v := m.View()
	for _, want := range []string{"run 20261127-100000-r18-aaaa", "confusion matrix at the best epoch", "checker", "loss by epoch", "epoch  train loss"} {
		if !strings.Contains(v, want) {
			t.Errorf("details lack %q:\n%s", want, v)
		}
	}
	press(t, m, "r")
	if m.training != nil {
		t.Error("a completed run resumed")
	}
	press(t, m, "esc", "g") // back to the table; the stopped r50
	_, cmd := m.Update(keys("r")[0])
	if msg, ok := cmd().(resumeMsg); !ok || msg.id != "20261127-120000-r50-cccc" {
		t.Fatalf("r on a stopped run: %#v", msg)
	}
}

func TestCompareSaveAndReopen(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 120, 40)
	press(t, m, "3", "G", "space", "k", "space", "c")
	if m.active != screenCompare || len(m.compare.runs) != 2 || len(m.compare.sums) != 2 {
		t.Fatalf("compare: screen %d runs %d", m.active, len(m.compare.runs))
	}
	if m.compare.sums[1].Versus == nil {
		t.Error("no McNemar test between the two runs")
	}
	press(t, m, "tab", "x", "s", "depths", "enter")
	c, err := m.c.Store.LoadComparison("depths")
	if err != nil {
		t.Fatal(err)
	}
	if c.Metric != "val_loss" || c.XAxis != "time" || len(c.Runs) != 2 || c.Runs[0] != "20261127-100000-r18-aaaa" {
		t.Errorf("saved %+v", c)
	}
	// Reopen from the runs screen.
	press(t, m, "3", "tab", "enter")
	if m.active != screenCompare || m.compare.name != "depths" || !m.compare.time || compareMetrics[m.compare.metric] != "val_loss" {
		t.Errorf("reopened: screen %d name %q", m.active, m.compare.name)
	}
	// esc goes back.
	press(t, m, "esc")
	if m.active != screenRuns {
		t.Errorf("esc went to %d", m.active)
	}
}

func TestPredictJumpsToDisagreements(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 120, 40)
	press(t, m, "3", "G", "space", "k", "space", "G", "p")
	p := m.predict
	if m.active != screenPredict || p.a == nil || p.b == nil || len(p.items) != 24 {
		t.Fatalf("predict: screen %d items %d", m.active, len(p.items))
	}
	if p.images[p.items[0].Path] == nil {
		t.Error("the first image was not drawn")
	}
	press(t, m, "n")
	first := p.index
	if !p.disagree(first) || first == 0 {
		t.Fatalf("n went to %d", first)
	}
	for i := 1; i < first; i++ {
		if p.disagree(i) {
			t.Errorf("n skipped disagreement %d", i)
		}
	}
	press(t, m, "n")
	if p.index <= first || !p.disagree(p.index) {
		t.Errorf("second n: %d", p.index)
	}
	press(t, m, "N")
	if p.index != first {
		t.Errorf("N went back to %d, want %d", p.index, first)
	}
	v := m.View()
	for _, want := range []string{"A 100000-r18-aaaa", "B 110000-r34-bbbb", "true class:", "%", "disagree"} {
		if !strings.Contains(v, want) {
			t.Errorf("predict view lacks %q:\n%s", want, v)
		}
	}
	// Arrows walk.
	press(t, m, "right")
	if p.index != first+1 {
		t.Errorf("→ went to %d", p.index)
	}
}

func TestImageDrawing(t *testing.T) {
	img, err := experiments.SampleImage(experiments.Spec{}, "demo/valid/circle/0001.png")
	if err != nil {
		t.Fatal(err)
	}
	cols, rows := components.ImageSize(img, 40, 10)
	if cols != 20 || rows != 10 {
		t.Errorf("64 px in 40×10 cells: %d×%d", cols, rows)
	}
	plain := components.RenderImage(img, cols, rows, termenv.Ascii)
	if len(plain) != rows || strings.ContainsRune(strings.Join(plain, ""), '\x1b') || strings.TrimSpace(strings.Join(plain, "")) == "" {
		t.Errorf("ASCII fallback:\n%s", strings.Join(plain, "\n"))
	}
	colour := components.RenderImage(img, cols, rows, termenv.TrueColor)
	if !strings.Contains(colour[0], "▀") || !strings.Contains(colour[0], "38;2;") || !strings.Contains(colour[0], "48;2;") {
		t.Errorf("true colour half blocks: %q", colour[0][:60])
	}
	c256 := components.RenderImage(img, cols, rows, termenv.ANSI256)
	if !strings.Contains(c256[0], "38;5;") {
		t.Errorf("256 colours: %q", c256[0][:40])
	}
}

func TestResampleAndTable(t *testing.T) {
	got := components.Resample([]components.Point{{X: 1, Y: 1}, {X: 3, Y: 3}}, 1, 5, 5)
	if got[0] != 1 || got[1] != 2 || got[2] != 3 || !math.IsNaN(got[3]) || !math.IsNaN(got[4]) {
		t.Errorf("Resample %v", got)
	}
	tb := components.Table{Header: []string{"a", "bbbbbbbb", "c"}, Rows: [][]string{{"1", "2", "3"}}, Drop: []int{1}, Flex: -1}
	hd, rows := tb.Lines(8)
	if hd != "a  c" || rows[0] != "1  3" {
		t.Errorf("dropped column: %q %q", hd, rows)
	}
}

func TestHelpTogglesAndEscGoesBack(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	focusField(t, m, "mode")
	press(t, m, "?")
	if !m.help.ShowAll || !strings.Contains(m.View(), "change choice") {
		t.Errorf("? did not expand the help:\n%s", m.View())
	}
	press(t, m, "?", "3", "4")
	if m.active != screenCompare {
		t.Fatal("4 did not open compare")
	}
	press(t, m, "esc")
	if m.active != screenRuns {
		t.Errorf("esc from compare went to %d", m.active)
	}
}

func TestViewsFitTheWindow(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	m := newLab(t, nil, dir)
	for _, size := range [][2]int{{80, 24}, {60, 20}, {200, 50}} {
		sized(t, m, size[0], size[1])
		for _, k := range []string{"1", "2", "3", "4", "5"} {
			press(t, m, k)
			lines := strings.Split(m.View(), "\n")
			if len(lines) > size[1] {
				t.Errorf("%dx%d screen %s: %d lines", size[0], size[1], k, len(lines))
			}
			for _, l := range lines {
				if w := lipglossWidth(l); w > size[0] {
					t.Errorf("%dx%d screen %s: line of %d cells: %q", size[0], size[1], k, w, l)
					break
				}
			}
		}
	}
}

func TestPredictTypedFile(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	// Weights for the r18 run: an untrained network of its shape is enough
	// to check the path from a typed file to bars.
	run, err := experiments.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.Load("20261127-100000-r18-aaaa")
	if err != nil {
		t.Fatal(err)
	}
	model, err := resnet.NewModel(r.Meta.Spec.ModelConfig(6), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.SaveWeights(r.Path(experiments.BestWeightsFile)); err != nil {
		t.Fatal(err)
	}
	model.Close()
	img, err := experiments.SampleImage(experiments.Spec{}, "demo/valid/square/0002.png")
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "square", "x.png")
	if err := os.MkdirAll(filepath.Dir(png), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(png)
	if err != nil {
		t.Fatal(err)
	}
	if err := pngEncode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()

	m := newLab(t, nil, dir)
	sized(t, m, 100, 30)
	press(t, m, "3", "G", "p", "o")
	if !m.predict.typing {
		t.Fatal("o did not open the path field")
	}
	press(t, m, "q"+png[1:]) // q types here
	press(t, m, "ctrl+u", png, "enter")
	l := m.predict.live
	if l == nil || l.busy || l.aErr != nil || len(l.a) != 5 || l.img == nil {
		t.Fatalf("typed file: %+v", l)
	}
	if l.trueName != "square" || !strings.Contains(m.View(), "file "+png) {
		t.Errorf("true class %q\n%s", l.trueName, m.View())
	}
	press(t, m, "esc")
	if m.predict.live != nil || m.active != screenPredict {
		t.Error("esc did not return to the validation images")
	}
}

// TestPredictTestSplit trains a tiny run on a folder data set with a test
// split, then walks it: t classifies the test images with the run's best
// weights, shows them with their test paths, and t again returns to the
// validation images saved at the best epoch.
func TestPredictTestSplit(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := augment.WriteDemo(context.Background(), data, augment.DemoOptions{Size: 32, Train: 8, Valid: 3}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := experiments.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := experiments.DefaultSpec()
	spec.Data, spec.Width, spec.Size, spec.Epochs, spec.Batch = data, 4, 32, 1, 16
	sess, err := (&experiments.Runner{Store: store}).Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}

	m := newLab(t, nil, dir)
	sized(t, m, 100, 30)
	press(t, m, "3", "p")
	p := m.predict
	if m.active != screenPredict || p.a == nil || len(p.items) != 6*3 || p.test {
		t.Fatalf("predict: screen %d, %d items, test %v", m.active, len(p.items), p.test)
	}
	// Without test/: one line says so and the validation images stay.
	ts, ok := p.toggleSplit()().(testSplitMsg)
	if !ok || ts.err == nil || !strings.Contains(ts.err.Error(), "no test/ folder") {
		t.Fatalf("a data set without test/: %+v", ts)
	}
	if fm, ok := p.update(ts)().(flashMsg); !ok || !strings.Contains(fm.text, "no test/ folder") || p.test || p.testBusy {
		t.Fatalf("a data set without test/: flash %+v, test %v, busy %v", fm, p.test, p.testBusy)
	}

	if err := os.CopyFS(filepath.Join(data, "test"), os.DirFS(filepath.Join(data, "valid"))); err != nil {
		t.Fatal(err)
	}
	press(t, m, "t")
	sep := string(filepath.Separator)
	if !p.test || len(p.items) != 6*3 || !strings.Contains(p.items[0].Path, sep+"test"+sep) {
		t.Fatalf("after t: test %v, %d items, first %+v", p.test, len(p.items), p.items)
	}
	if v := m.View(); !strings.Contains(v, "test · best weights") || !strings.Contains(v, "image 1/18") {
		t.Errorf("test split view:\n%s", v)
	}
	press(t, m, "t")
	if p.test || len(p.items) != 6*3 || !strings.Contains(p.items[0].Path, sep+"valid"+sep) || !strings.Contains(m.View(), "valid · best epoch") {
		t.Errorf("back to validation: test %v, first %+v\n%s", p.test, p.items[0], m.View())
	}
}

// TestTrainFromRunWeights: w on a run opens the setup form on that run's
// network with its best weights, fine-tuning, the form's data folder kept
// and the focus on it; a run without best weights is refused.
func TestTrainFromRunWeights(t *testing.T) {
	dir := t.TempDir()
	threeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 100, 30)
	focusField(t, m, "arch")
	press(t, m, "right", "right") // resnet50 in the form, to see it replaced
	press(t, m, "3", "G", "w")    // the oldest: the r18 run
	s := m.setup
	want := filepath.Join(dir, "20261127-100000-r18-aaaa", experiments.BestWeightsFile)
	if m.active != screenSetup || s.byID["weights"].value() != want || s.byID["mode"].value() != "finetune" ||
		s.byID["arch"].value() != "resnet18" || s.byID["data"].value() != "" || s.focused().id != "data" {
		t.Fatalf("screen %d, weights %q, mode %q, arch %q, data %q, focus %q", m.active,
			s.byID["weights"].value(), s.byID["mode"].value(), s.byID["arch"].value(), s.byID["data"].value(), s.focused().id)
	}
	if !s.valid() {
		t.Errorf("the form is not valid: %v", s.other)
	}

	writeRun(t, dir, fakeRun{id: "20261127-130000-r18-dddd", depth: 18, state: experiments.StateInterrupted})
	m3 := newLab(t, nil, dir)
	sized(t, m3, 100, 30)
	press(t, m3, "3", "g") // the newest: interrupted before any epoch
	if _, cmd := m3.Update(keys("w")[0]); cmd == nil {
		t.Fatal("w did nothing")
	} else if fm, ok := cmd().(flashMsg); !ok || !strings.Contains(fm.text, "no best weights") {
		t.Errorf("a run without best weights: %#v", cmd())
	}
}
