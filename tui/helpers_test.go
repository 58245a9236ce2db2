package tui

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
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

var demoNames = []string{"checker", "circle", "gradient", "square", "stripes", "triangle"}

func (f *fakeBackend) Start(ctx context.Context, spec experiments.Spec) (*experiments.Session, error) {
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.n++
	ch := make(chan train.Event, 64)
	s := &experiments.Session{ID: fmt.Sprintf("20261127-1200%02d-r%d-fake", f.n, spec.Arch.Depth()), Events: ch,
		Meta:  experiments.RunMeta{Spec: spec, Classes: demoNames, ClassNames: demoNames, TrainImages: 300, ValidImages: 90},
		Notes: []string{"started from random weights (He initialisation)"}}
	f.started <- &fakeSession{ctx: ctx, events: ch, sess: s, spec: spec}
	return s, nil
}

func (f *fakeBackend) Resume(ctx context.Context, id string) (*experiments.Session, error) {
	return f.Start(ctx, experiments.DefaultSpec())
}

// next waits for the lab to start a session.
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

// plainRenderer draws without colour, as under NO_COLOR, so views compare
// as text.
func plainRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
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
	m, err := New(Options{RunsDir: dir, Backend: backend, MemoryBudget: 2 << 30}, plainRenderer())
	if err != nil {
		t.Fatal(err)
	}
	m.c.RunsLabel = "RUNS"
	return m
}

func TestMain(m *testing.M) {
	// Flash messages clear, and the data folder is read, at once: tests
	// settle commands synchronously.
	flashFor, dataDebounce = time.Millisecond, time.Millisecond
	os.Exit(m.Run())
}

// settle runs a command and feeds its messages back into the model, as
// the bubbletea runtime does; commands that do not answer quickly (ticks,
// waits on training events) are dropped.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0 && steps < 200; steps++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(3 * time.Second):
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// send delivers messages and settles what they return.
func send(t *testing.T, m *Model, msgs ...tea.Msg) {
	t.Helper()
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		settle(t, m, cmd)
	}
}

// keys turns "down", "enter", "ctrl+u" or plain text into key messages.
func keys(ks ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range ks {
		switch k {
		case "up":
			out = append(out, tea.KeyMsg{Type: tea.KeyUp})
		case "down":
			out = append(out, tea.KeyMsg{Type: tea.KeyDown})
		case "left":
			out = append(out, tea.KeyMsg{Type: tea.KeyLeft})
		case "right":
			out = append(out, tea.KeyMsg{Type: tea.KeyRight})
		case "enter":
			out = append(out, tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			out = append(out, tea.KeyMsg{Type: tea.KeyEsc})
		case "tab":
			out = append(out, tea.KeyMsg{Type: tea.KeyTab})
		case "space":
			out = append(out, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
		case "ctrl+u":
			out = append(out, tea.KeyMsg{Type: tea.KeyCtrlU})
		case "ctrl+c":
			out = append(out, tea.KeyMsg{Type: tea.KeyCtrlC})
		default:
			for _, r := range k {
				out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
		}
	}
	return out
}

func press(t *testing.T, m *Model, ks ...string) {
	t.Helper()
	send(t, m, keys(ks...)...)
}

// sized opens the lab at a terminal size and lets it read the store and
// the demo data.
func sized(t *testing.T, m *Model, w, h int) {
	t.Helper()
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	settle(t, m, m.Init())
}

// focusField moves the setup form's focus to a field.
func focusField(t *testing.T, m *Model, id string) {
	t.Helper()
	for i := 0; i < len(m.setup.fields) && m.setup.focused().id != id; i++ {
		press(t, m, "down")
	}
	if m.setup.focused().id != id {
		t.Fatalf("no field %q", id)
	}
}

// requireGolden compares a view with testdata/NAME.golden (go test
// -update rewrites them); the temporary runs folder's path is replaced.
func requireGolden(t *testing.T, m *Model) {
	t.Helper()
	golden.RequireEqual(t, []byte(m.View()))
}

// fakeRun writes a run folder with a fixed id, epochs and predictions.
type fakeRun struct {
	id      string
	depth   int
	epochs  []train.EpochMetrics
	planned int
	state   experiments.State
	// top1 predicted for each validation image (label i%6).
	top1 []int
}

func writeRun(t *testing.T, dir string, fr fakeRun) *experiments.Run {
	t.Helper()
	store, err := experiments.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := experiments.DefaultSpec()
	spec.Arch = resnet.Arch(fr.depth)
	spec.Width, spec.Size, spec.Epochs = 8, 32, max(fr.planned, len(fr.epochs))
	meta := experiments.RunMeta{Spec: spec, Classes: demoNames, ClassNames: demoNames, TrainImages: 300, ValidImages: 90, Params: 175000 + fr.depth*1000}
	w, err := store.Create(meta)
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for i, e := range fr.epochs {
		if err := w.AppendMetrics(e); err != nil {
			t.Fatal(err)
		}
		if best == 0 || e.ValAcc > fr.epochs[best-1].ValAcc {
			best = i + 1
		}
	}
	if len(fr.top1) > 0 {
		var preds []train.ValPrediction
		for i, top := range fr.top1 {
			probs := make([]float32, 6)
			for c := range probs {
				probs[c] = 0.02 * float32(c+1)
			}
			probs[top] = 0.6
			preds = append(preds, train.ValPrediction{Path: fmt.Sprintf("demo/valid/%s/%04d.png", demoNames[i%6], i/6+1), Label: i % 6, Probs: probs})
		}
		if err := w.SavePredictions(preds); err != nil {
			t.Fatal(err)
		}
	}
	w.Status.State = fr.state
	w.Status.Epochs = len(fr.epochs)
	w.Status.BestEpoch = best
	if best > 0 {
		b := fr.epochs[best-1]
		w.Status.Best = &b
	}
	for _, e := range fr.epochs {
		w.Status.Seconds += e.Seconds
	}
	if err := w.SaveStatus(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.Rename(w.Dir, filepath.Join(dir, fr.id)); err != nil {
		t.Fatal(err)
	}
	r, err := store.Load(fr.id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// curve makes n epochs of a run that learns at the given pace.
func epochs(n int, pace float64) []train.EpochMetrics {
	var out []train.EpochMetrics
	for i := 1; i <= n; i++ {
		f := float64(i)
		out = append(out, train.EpochMetrics{Epoch: i, TrainLoss: 1.8 / (1 + pace*f), TrainAcc: 0.2 + 0.7*f*pace/(1+f*pace),
			ValLoss: 1.9 / (1 + 0.8*pace*f), ValAcc: 0.18 + 0.6*f*pace/(1+f*pace), LR: 0.003, Seconds: 2 + 0.5*float64(i%2), ImagesPerSec: 150})
	}
	return out
}

// threeRuns writes the runs most tests use: two finished depths with
// predictions that disagree on some images, and a stopped one.
func threeRuns(t *testing.T, dir string) {
	t.Helper()
	var a, b []int
	for i := range 24 {
		a = append(a, i%6)
		b = append(b, i%6)
		if i%4 == 1 {
			a[i] = (i + 1) % 6 // a is wrong here
		}
		if i%5 == 2 {
			b[i] = (i + 2) % 6
		}
	}
	writeRun(t, dir, fakeRun{id: "20261127-100000-r18-aaaa", depth: 18, epochs: epochs(4, 0.6), state: experiments.StateCompleted, top1: a})
	writeRun(t, dir, fakeRun{id: "20261127-110000-r34-bbbb", depth: 34, epochs: epochs(4, 0.4), state: experiments.StateCompleted, top1: b})
	writeRun(t, dir, fakeRun{id: "20261127-120000-r50-cccc", depth: 50, epochs: epochs(2, 0.3), planned: 6, state: experiments.StateStopped})
}

func timeAfter() <-chan time.Time { return time.After(150 * time.Millisecond) }

func lipglossWidth(s string) int { return lipgloss.Width(s) }

func pngEncode(w io.Writer, img image.Image) error { return png.Encode(w, img) }
