package tui

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/internal/labtest"
)

func TestSetupKeysTypeInTextFieldsAndQuitElsewhere(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	// The data folder is a text field: q and 3 type.
	press(t, m, "up")
	_, cmd := m.Update(labtest.Keys("q")[0])
	if cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("q in a text field quit the lab")
		}
	}
	press(t, m, "3")
	if !strings.Contains(m.View(), "› data folder    q3") {
		t.Errorf("the data field does not show q3:\n%s", m.View())
	}
	if m.active != common.PageSetup {
		t.Error("3 in a text field switched screens")
	}
	// In a number field letters are keys: q quits.
	focusField(t, m, "base width")
	_, cmd = m.Update(labtest.Keys("q")[0])
	if cmd == nil {
		t.Fatal("q in a number field did nothing")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Error("q in a number field did not quit")
	}
}

func TestRunScreenFollowsEvents(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 100, 30)
	spec := experiments.DefaultSpec()
	spec.Epochs, spec.Patience = 5, 3
	_, _ = m.Update(common.StartMsg{Specs: []experiments.Spec{spec}})
	if m.active != common.PageRun || m.training == nil {
		t.Fatal("start did not open the run screen")
	}
	ch := make(chan train.Event, 8)
	sess := &experiments.Session{ID: "20261127-130000-r18-live", Events: ch, Meta: experiments.RunMeta{Spec: spec, TrainImages: 300, ValidImages: 90}}
	_, cmd := m.Update(sessionMsg{sess: sess, spec: spec})
	if cmd == nil {
		t.Fatal("no command to read events")
	}
	for _, ev := range []train.Event{
		train.EpochEvent{Metrics: labtest.Epochs(1, 0.5)[0]},
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
	if v := m.View(); !strings.Contains(v, "loss by time, smoothed") || !strings.Contains(v, "accuracy by time, smoothed") {
		t.Errorf("m and x: charts not smoothed by time:\n%s", v)
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
	_, _ = m.Update(common.StartMsg{Specs: []experiments.Spec{spec}})
	tr := m.training
	cancelled := false
	tr.cancel = func() { cancelled = true }
	ch := make(chan train.Event)
	sess := &experiments.Session{ID: "x", Events: ch, Meta: experiments.RunMeta{Spec: spec}}
	_, _ = m.Update(sessionMsg{sess: sess, spec: spec})
	// q asks first; another key keeps the run.
	_, cmd := m.Update(labtest.Keys("q")[0])
	if cmd != nil || cancelled || m.quitting || !strings.Contains(m.View(), "q again stops it") {
		t.Fatalf("q did not ask before stopping the run (cancelled %v):\n%s", cancelled, m.View())
	}
	_, _ = m.Update(labtest.Keys("x")[0])
	if cancelled || m.quitting || strings.Contains(m.View(), "q again stops it") {
		t.Fatalf("another key did not keep the run")
	}
	// q, q stops it, saving a checkpoint, then quits.
	_, _ = m.Update(labtest.Keys("q")[0])
	_, cmd = m.Update(labtest.Keys("q")[0])
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

// ctrl+c stops the run without asking; a second ctrl+c quits at once.
func TestCtrlCTwiceQuitsAtOnce(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	spec := experiments.DefaultSpec()
	_, _ = m.Update(common.StartMsg{Specs: []experiments.Spec{spec}})
	cancelled := false
	m.training.cancel = func() { cancelled = true }
	_, _ = m.Update(sessionMsg{sess: &experiments.Session{ID: "x", Events: make(chan train.Event), Meta: experiments.RunMeta{Spec: spec}}, spec: spec})
	ctrlC := tea.KeyMsg{Type: tea.KeyCtrlC}
	if _, cmd := m.Update(ctrlC); cmd != nil || !cancelled || !m.quitting {
		t.Fatalf("first ctrl+c: cancelled %v quitting %v", cancelled, m.quitting)
	}
	_, cmd := m.Update(ctrlC)
	if cmd == nil {
		t.Fatal("second ctrl+c did not quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("second ctrl+c did not quit at once")
	}
}

// startedLab is a lab on a fake backend whose training of specs has started.
func startedLab(t *testing.T, specs ...experiments.Spec) (*Model, sessionMsg) {
	t.Helper()
	fb := newFakeBackend()
	m := newLab(t, fb, "")
	sized(t, m, 80, 24)
	_, cmd := m.Update(common.StartMsg{Specs: specs})
	msg := cmd().(sessionMsg)
	_ = fb.next(t)
	_, _ = m.Update(msg)
	return m, msg
}

// endRun completes the session and returns the session the lab started
// next (zero when none).
func endRun(m *Model, sess sessionMsg) sessionMsg {
	_, _ = m.Update(eventMsg{id: sess.sess.ID, ev: train.DoneEvent{Status: train.StatusCompleted}})
	_, cmd := m.Update(eventsClosedMsg{id: sess.sess.ID})
	var next sessionMsg
	for _, c := range flatten(cmd) {
		if s, ok := c().(sessionMsg); ok {
			next = s
		}
	}
	return next
}

// Starting a training while one runs queues it after the run in progress.
func TestStartWhileTrainingQueues(t *testing.T) {
	a, b := experiments.DefaultSpec(), experiments.DefaultSpec()
	b.Arch = 50
	m, msg := startedLab(t, a)
	press(t, m, "1")
	if !strings.Contains(m.View(), "enter: queue: train") {
		t.Errorf("the form does not say enter queues while a run trains:\n%s", m.View())
	}
	_, cmd := m.Update(common.StartMsg{Specs: []experiments.Spec{b}})
	if flash, ok := cmd().(common.FlashMsg); !ok || !strings.Contains(flash.Text, "queued 1 run") {
		t.Errorf("no word of the queued run: %v", flash)
	}
	if w := m.training.queue.Waiting(); len(w) != 1 || w[0].Spec.Arch != 50 {
		t.Fatalf("waiting %v:\n%s", w, m.View())
	}
	if next := endRun(m, msg); next.spec.Arch != 50 {
		t.Fatalf("the queued run did not start after the first: %+v", next.spec.Arch)
	}
}

func TestSweepStartsTheNextDepth(t *testing.T) {
	a, b := experiments.DefaultSpec(), experiments.DefaultSpec()
	b.Arch = 34
	m, msg := startedLab(t, a, b)
	next := endRun(m, msg) // the next depth launches
	if next.sess == nil || next.spec.Arch != 34 {
		t.Fatalf("second sweep run: %+v", next)
	}
	_, _ = m.Update(next)
	if tr := m.training; tr == nil || len(tr.queue.StartedIDs()) != 2 || !strings.Contains(m.View(), "depth sweep 2/2") {
		t.Errorf("sweep state %+v\n%s", tr, m.View())
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
	case <-time.After(150 * time.Millisecond):
		return nil
	}
}

func TestHelpTogglesAndEscGoesBack(t *testing.T) {
	m := newLab(t, nil, "")
	sized(t, m, 80, 24)
	focusField(t, m, "training mode")
	press(t, m, "?")
	if !m.help.ShowAll || !strings.Contains(m.View(), "change choice") {
		t.Errorf("? did not expand the help:\n%s", m.View())
	}
	press(t, m, "?", "3", "4")
	if m.active != common.PageCompare {
		t.Fatal("4 did not open compare")
	}
	press(t, m, "esc")
	if m.active != common.PageRuns {
		t.Errorf("esc from compare went to %d", m.active)
	}
}

func TestViewsFitTheWindow(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
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
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%dx%d screen %s: line of %d cells: %q", size[0], size[1], k, w, l)
					break
				}
			}
		}
	}
}

func TestTrainFromRunWeights(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 100, 30)
	press(t, m, "3", "G", "w") // the oldest: the r18 run
	want := filepath.Join(dir, "20261127-100000-r18-aaaa", experiments.BestWeightsFile)
	v := m.View()
	if m.active != common.PageSetup || !strings.Contains(v, "finetune") || !strings.Contains(v, "› data folder") ||
		!strings.Contains(v, "weights file   "+want[:10]) {
		t.Fatalf("w did not open the form on the run's weights (page %d):\n%s", m.active, v)
	}
}

// TestRunesInOneReadEachCount: "jjj" arriving in one read moves three rows,
// and a paste into a number field types what the field takes ("1e-3x" is
// 1e-3) without the rest acting as keys.
func TestRunesInOneReadEachCount(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 120, 30)
	press(t, m, "3")
	send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jj")})
	if !strings.Contains(m.View(), "›   20261127-100000-r18-aaaa") && !strings.Contains(m.View(), "› 20261127-100000-r18-aaaa") {
		t.Errorf("jj in one read did not move two rows:\n%s", m.View())
	}
	press(t, m, "1")
	focusField(t, m, "learning rate")
	press(t, m, "ctrl+u")
	send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("1e-3xq"), Paste: true})
	if v := m.View(); !strings.Contains(v, "› learning rate  1e-3 ") || m.quitting {
		t.Errorf("paste of 1e-3xq into the learning rate (quitting %v):\n%s", m.quitting, v)
	}
}

// TestPredictOpensTheRunJustTrained: 5 after a run trained in this lab
// opens that run, not "No run chosen".
func TestPredictOpensTheRunJustTrained(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 120, 40)
	m.startedIDs = append(m.startedIDs, "20261127-100000-r18-aaaa") // as a finished training leaves it
	press(t, m, "5")
	if v := m.View(); strings.Contains(v, "No run chosen") || !strings.Contains(v, "A 100000-r18-aaaa") {
		t.Errorf("5 after training:\n%s", v)
	}
}

// A run another process writes into the runs folder shows on the runs
// screen without a key press, once the folder's signature changes.
func TestRunsFromOtherProcessesShowUp(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 120, 30)
	press(t, m, "3")
	sig := func() storeSigMsg {
		s, err := m.c.Store.Signature()
		if err != nil {
			t.Fatal(err)
		}
		return storeSigMsg{sig: s}
	}
	send(t, m, sig())
	labtest.WriteRun(t, dir, labtest.FakeRun{ID: "20261127-140000-r18-eeee", Depth: 18, Name: "from-slurm",
		Epochs: labtest.Epochs(1, 0.5), State: experiments.StateRunning})
	if strings.Contains(m.View(), "from-slurm") {
		t.Fatal("the new run showed before the folder was looked at")
	}
	next := sig()
	if next.sig == m.storeSig {
		t.Fatal("writing a run did not change the folder's signature")
	}
	send(t, m, next)
	if !strings.Contains(m.View(), "from-slurm") {
		t.Errorf("the run written elsewhere does not show:\n%s", m.View())
	}
}

// ctrl+l on the setup form runs the learning-rate search in the
// background, draws its curve and puts the suggestion into the form; esc
// closes the curve.
func TestSetupFindsALearningRate(t *testing.T) {
	fb := newFakeBackend()
	m := newLab(t, fb, t.TempDir())
	sized(t, m, 120, 40)
	res, _ := fb.FindLR(context.Background(), experiments.Spec{}, train.LRFindOptions{})
	suggested := strconv.FormatFloat(res.Suggested, 'g', 2, 64)
	if suggested == "0.003" {
		t.Fatal("the fake suggestion equals the form's default: the test could not tell")
	}
	press(t, m, "ctrl+l")
	if m.lrFinding != nil {
		t.Error("the search did not end")
	}
	v := m.View()
	if !strings.Contains(v, "smoothed loss by learning rate") || !strings.Contains(v, "steepest descent") {
		t.Fatalf("no curve after ctrl+l:\n%s", v)
	}
	if !strings.Contains(v, "learning rate  "+suggested+" ") {
		t.Errorf("the suggestion is not in the learning-rate field:\n%s", v)
	}
	press(t, m, "esc")
	if strings.Contains(m.View(), "smoothed loss by learning rate") {
		t.Error("esc did not close the curve")
	}
}

// A sweep made on the setup screen is saved (sweeps/NAME.json) and its
// runs train one after another through the backend's StartSweepRun.
func TestSavedSweepTrainsItsRuns(t *testing.T) {
	fb := newFakeBackend()
	m := newLab(t, fb, "")
	sized(t, m, 80, 24)
	spec := experiments.DefaultSpec()
	arms := []experiments.Arm{{Label: "base", Values: []string{}, Spec: spec}}
	sw, err := experiments.NewSweep("seeds", nil, arms, 2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(common.StartMsg{Sweep: sw})
	var first sessionMsg
	for _, c := range flatten(cmd) {
		if s, ok := c().(sessionMsg); ok {
			first = s
		}
	}
	if first.sess == nil || first.spec.Seed != spec.Seed {
		t.Fatalf("first run: %+v", first)
	}
	if _, err := m.c.Store.LoadSweep("seeds"); err != nil {
		t.Errorf("the sweep was not saved: %v", err)
	}
	_ = fb.next(t)
	_, _ = m.Update(first)
	if !strings.Contains(m.View(), "sweep seeds 1/2 · next r18 s2 · 1 queued") {
		t.Errorf("the run screen does not name the sweep:\n%s", m.View())
	}
	next := endRun(m, first)
	if next.sess == nil || next.spec.Seed != spec.Seed+1 {
		t.Fatalf("second run: %+v", next)
	}
	// A second sweep of the same name is refused, with the reason.
	m.training = nil
	_, cmd = m.Update(common.StartMsg{Sweep: sw})
	if flash, ok := cmd().(common.FlashMsg); !ok || !strings.Contains(flash.Text, "a sweep named seeds exists") {
		t.Errorf("a second sweep of the same name: %#v", cmd())
	}
}

// A sweep started while a run trains is saved and queued behind it; its
// runs follow, and the run screen counts them as the sweep's.
func TestSweepQueuesBehindARun(t *testing.T) {
	a := experiments.DefaultSpec()
	m, first := startedLab(t, a)
	arms := []experiments.Arm{{Label: "base", Values: []string{}, Spec: experiments.DefaultSpec()}}
	sw, err := experiments.NewSweep("later", nil, arms, 2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(common.StartMsg{Sweep: sw})
	var flash string
	for _, c := range flatten(cmd) {
		if f, ok := c().(common.FlashMsg); ok {
			flash = f.Text
		}
	}
	if !strings.Contains(flash, "queued sweep later: its 2 runs start when the run in progress completes") {
		t.Errorf("flash %q", flash)
	}
	if _, err := m.c.Store.LoadSweep("later"); err != nil {
		t.Errorf("the queued sweep was not saved: %v", err)
	}
	next := endRun(m, first)
	if next.sess == nil || next.spec.Name != "later s1" {
		t.Fatalf("after the run: %+v", next.spec.Name)
	}
	_, _ = m.Update(next)
	if v := m.View(); !strings.Contains(v, "sweep later 1/2 · next r18 s2 · 1 queued") {
		t.Errorf("the run screen does not count the sweep's runs:\n%s", v)
	}
}

// The predict screen's run chooser names the runs, reaches its ends with
// g and G, and its help bar says what esc does there once (cancel, not
// also back) and that q cancels too.
func TestPredictChooserNamesRunsAndReachesItsEnds(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 80, 24)
	press(t, m, "5", "a")
	v := m.View()
	for _, want := range []string{"choose run A", "deeper", "flowers-r50", "esc/q cancel", "g first", "G last", "ctrl+c quit"} {
		if !strings.Contains(v, want) {
			t.Errorf("the chooser lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "esc back") {
		t.Errorf("the chooser's help bar also offers esc back:\n%s", v)
	}
	selected := func() string {
		for _, l := range strings.Split(m.View(), "\n") {
			if strings.HasPrefix(l, "› ") {
				return l
			}
		}
		return ""
	}
	first := selected()
	press(t, m, "G")
	if last := selected(); last == first || !strings.Contains(last, "20261127-100000-r18-aaaa") {
		t.Errorf("G selected %q (first %q)", last, first)
	}
	press(t, m, "g")
	if again := selected(); again != first {
		t.Errorf("g selected %q, want %q", again, first)
	}
}
