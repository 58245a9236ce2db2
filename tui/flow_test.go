package tui

import (
	"bytes"
	"context"
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
