package tui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/internal/labtest"
)

// fakeBackend starts fake sessions whose events the test sends: the lab's
// flows run without any training.
type fakeBackend struct {
	started  chan *fakeSession
	n        int
	startErr error
}

type fakeSession struct {
	ctx    context.Context
	events chan train.Event
	sess   *experiments.Session
	spec   experiments.Spec
}

func newFakeBackend() *fakeBackend { return &fakeBackend{started: make(chan *fakeSession, 8)} }

func (f *fakeBackend) Start(ctx context.Context, spec experiments.Spec) (*experiments.Session, error) {
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.n++
	ch := make(chan train.Event, 64)
	s := &experiments.Session{ID: fmt.Sprintf("20261127-1200%02d-r%d-fake", f.n, spec.Arch.Depth()), Events: ch,
		Meta:  experiments.RunMeta{Spec: spec, Classes: labtest.DemoNames, ClassNames: labtest.DemoNames, TrainImages: 300, ValidImages: 90},
		Notes: []string{"started from random weights (He initialisation)"}}
	f.started <- &fakeSession{ctx: ctx, events: ch, sess: s, spec: spec}
	return s, nil
}

func (f *fakeBackend) StartSweepRun(ctx context.Context, sw *experiments.Sweep, index int) (*experiments.Session, error) {
	return f.Start(ctx, sw.Runs[index].Spec)
}

func (f *fakeBackend) Resume(ctx context.Context, id string) (*experiments.Session, error) {
	return f.Start(ctx, experiments.DefaultSpec())
}

// next waits for the lab to start a session.
// FindLR answers with a fixed curve falling fastest at 3e-3.
func (f *fakeBackend) FindLR(ctx context.Context, spec experiments.Spec, o train.LRFindOptions) (train.LRFindResult, error) {
	var res train.LRFindResult
	for i := range 60 {
		lr := 1e-6 * math.Pow(10, float64(i)/10)
		res.LRs = append(res.LRs, lr)
		res.Losses = append(res.Losses, 2-math.Tanh(math.Log10(lr)+2.5))
	}
	res.Suggested, res.Method = train.SteepestDescent(res.LRs, res.Losses)
	return res, nil
}

func (f *fakeBackend) next(t *testing.T) *fakeSession {
	t.Helper()
	select {
	case s := <-f.started:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("the lab started no run")
		return nil
	}
}

// stopWhenCancelled behaves as the runner does on cancel: a done event
// with status stopped, then the channel closes.
func (s *fakeSession) stopWhenCancelled() {
	go func() {
		<-s.ctx.Done()
		s.events <- train.DoneEvent{Status: train.StatusStopped, Err: context.Canceled}
		close(s.events)
	}()
}

// newLab makes a lab on a fresh runs folder with fixed estimates.
func newLab(t *testing.T, backend Backend, dir string) *Model {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if backend == nil {
		backend = newFakeBackend()
	}
	m, err := New(Options{RunsDir: dir, Backend: backend, MemoryBudget: 2 << 30}, labtest.PlainRenderer())
	if err != nil {
		t.Fatal(err)
	}
	m.c.RunsLabel = "RUNS"
	// Flash messages clear, and the data folder is read, at once: tests
	// settle commands synchronously.
	m.flashFor, m.c.DataDebounce = time.Millisecond, time.Millisecond
	m.storeWatch = 0 // tests that want it send storeSigMsg themselves
	return m
}

// settle runs a command and feeds its messages back into the lab.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	labtest.Settle(t, func(msg tea.Msg) tea.Cmd { _, next := m.Update(msg); return next }, cmd)
}

// send delivers messages and settles what they return.
func send(t *testing.T, m *Model, msgs ...tea.Msg) {
	t.Helper()
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		settle(t, m, cmd)
	}
}

func press(t *testing.T, m *Model, ks ...string) {
	t.Helper()
	send(t, m, labtest.Keys(ks...)...)
}

// sized opens the lab at a terminal size and lets it read the store and
// the demo data.
func sized(t *testing.T, m *Model, w, h int) {
	t.Helper()
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	settle(t, m, m.Init())
}

// focusField moves the setup form's focus down to the field labelled
// label, as a user would: until the view marks it.
func focusField(t *testing.T, m *Model, label string) {
	t.Helper()
	for i := 0; i < 80 && !strings.Contains(m.View(), "› "+label+" "); i++ {
		press(t, m, "down")
	}
	if !strings.Contains(m.View(), "› "+label+" ") {
		t.Fatalf("no field %q:\n%s", label, m.View())
	}
}

// requireGolden compares a view with testdata/NAME.golden (go test
// -update rewrites them).
func requireGolden(t *testing.T, m *Model) {
	t.Helper()
	golden.RequireEqual(t, []byte(m.View()))
}
