package tui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/internal/labtest"
)

// Flows through the real bubbletea runtime over a fake event source.

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// waitForAll waits until the output since the last wait shows every text.
func waitForAll(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, text := range texts {
			if !bytes.Contains(b, []byte(text)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func TestFlowTrainToCompletion(t *testing.T) {
	fb := newFakeBackend()
	m := newLab(t, fb, "")
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "demo data: 6 classes")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	s := fb.next(t)
	waitFor(t, tm, "● running")
	s.events <- train.StepEvent{Epoch: 1, Epochs: 2, Step: 5, Steps: 10, Images: 160, Loss: 1.5, Acc: 0.3, ImagesPerSec: 90, Elapsed: 1.7}
	waitFor(t, tm, "90 img/s")
	for _, e := range labtest.Epochs(2, 0.5) {
		s.events <- train.EpochEvent{Metrics: e}
	}
	s.events <- train.DoneEvent{Status: train.StatusCompleted, Best: train.Monitor{Metric: "val_acc", BestEpoch: 2}}
	close(s.events)
	waitFor(t, tm, "completed")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if o := final.Outcomes(); len(o) != 1 || o[0].Status != experiments.StateCompleted {
		t.Errorf("outcomes %+v", o)
	}
}

func TestFlowQuitWhileTraining(t *testing.T) {
	fb := newFakeBackend()
	m := newLab(t, fb, "")
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "demo data: 6 classes")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	s := fb.next(t)
	s.stopWhenCancelled()
	s.events <- train.StepEvent{Epoch: 1, Epochs: 8, Step: 2, Steps: 10, Images: 64, Loss: 1.7, Acc: 0.2, ImagesPerSec: 80, Elapsed: 0.8}
	waitFor(t, tm, "80 img/s")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if s.ctx.Err() != context.Canceled {
		t.Error("the run's context was not cancelled")
	}
	if o := final.Outcomes(); len(o) != 1 || o[0].Status != experiments.StateStopped {
		t.Errorf("outcomes %+v: the lab quit before the run had stopped", o)
	}
}

// One person's path through the real runtime at 80×24: the form scrolled
// to its last fields with the focus in view, a name typed there, three
// keys in one read on the runs screen, four runs compared with every run
// in the legend and, on d, the settings that differ.
func TestFlowFormRunsAndCompareFour(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	labtest.WriteRun(t, dir, labtest.FakeRun{ID: "20261127-130000-r18-dddd", Depth: 18, Name: "fast", LR: 0.03,
		Epochs: labtest.Epochs(4, 0.5), State: experiments.StateCompleted})
	m := newLab(t, nil, dir)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "demo data: 6 classes")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlEnd})
	waitFor(t, tm, "› sweep folds")
	for range 3 {
		tm.Send(tea.KeyMsg{Type: tea.KeyUp})
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q1x")}) // a text field: all three are text
	waitFor(t, tm, "› name           q1x")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlHome}) // the data folder, a text field
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})     // the preset, a choice: 3 opens the runs
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3")})
	waitFor(t, tm, "[3 runs]")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jjj")}) // one read
	waitFor(t, tm, "›   100000-r18-aaaa")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
	for range 4 {
		tm.Send(tea.KeyMsg{Type: tea.KeySpace})
	}
	waitFor(t, tm, "4 marked")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	waitForAll(t, tm, "compare 4 runs", "• fast r18", "○ flowers-r50 r50", "× deeper r34", "+ 100000-r18-aaaa r18")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("d")})
	waitFor(t, tm, "differing settings")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if v := final.View(); !strings.Contains(v, "lr       0.03") || !strings.Contains(v, "compare 4 runs") {
		t.Errorf("compare's differences at the end:\n%s", v)
	}
}
