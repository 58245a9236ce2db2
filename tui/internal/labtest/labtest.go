// Package labtest holds what the lab's tests share: key messages from
// names, a settle loop standing in for the bubbletea runtime, a colourless
// page context, and run folders written with fixed epochs and predictions.
// Only tests import it.
package labtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
)

// DemoNames are the demo data set's classes.
var DemoNames = []string{"checker", "circle", "gradient", "square", "stripes", "triangle"}

// Keys turns "down", "enter", "ctrl+u" or plain text into key messages.
func Keys(ks ...string) []tea.Msg {
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
		case "ctrl+l":
			out = append(out, tea.KeyMsg{Type: tea.KeyCtrlL})
		case "ctrl+home":
			out = append(out, tea.KeyMsg{Type: tea.KeyCtrlHome})
		case "ctrl+end":
			out = append(out, tea.KeyMsg{Type: tea.KeyCtrlEnd})
		case "pgdown":
			out = append(out, tea.KeyMsg{Type: tea.KeyPgDown})
		case "pgup":
			out = append(out, tea.KeyMsg{Type: tea.KeyPgUp})
		case "end":
			out = append(out, tea.KeyMsg{Type: tea.KeyEnd})
		case "home":
			out = append(out, tea.KeyMsg{Type: tea.KeyHome})
		default:
			for _, r := range k {
				out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
		}
	}
	return out
}

// PlainRenderer draws without colour, as under NO_COLOR, so views compare
// as text.
func PlainRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// FakeRun is a run folder to write with a fixed id, epochs and predictions.
type FakeRun struct {
	ID      string
	Depth   int
	Epochs  []train.EpochMetrics
	Planned int
	State   experiments.State
	Name    string  // the spec's --name
	Data    string  // the data folder; "" for the demo set
	LR      float64 // the learning rate; 0 for the default
	// Top1 is the class predicted for each validation image (label i%6),
	// at the best epoch and the last.
	Top1 []int
	// Sweep places the run in a saved sweep.
	Sweep *experiments.SweepRef
}

// WriteRun writes fr into the runs folder dir and reads it back.
func WriteRun(t testing.TB, dir string, fr FakeRun) *experiments.Run {
	t.Helper()
	store, err := experiments.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := experiments.DefaultSpec()
	spec.Arch = resnet.Arch(fr.Depth)
	spec.Width, spec.Size, spec.Epochs = 8, 32, max(fr.Planned, len(fr.Epochs))
	spec.Name, spec.Data, spec.DataAsGiven = fr.Name, fr.Data, fr.Data
	if fr.LR > 0 {
		spec.LR = fr.LR
	}
	meta := experiments.RunMeta{Spec: spec, Classes: DemoNames, ClassNames: DemoNames, TrainImages: 300, ValidImages: 90, Params: 175000 + fr.Depth*1000, Sweep: fr.Sweep}
	w, err := store.Create(meta)
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for i, e := range fr.Epochs {
		if err := w.AppendMetrics(e); err != nil {
			t.Fatal(err)
		}
		if best == 0 || e.ValAcc > fr.Epochs[best-1].ValAcc {
			best = i + 1
		}
	}
	if len(fr.Top1) > 0 {
		var preds []train.ValPrediction
		for i, top := range fr.Top1 {
			probs := make([]float32, 6)
			for c := range probs {
				probs[c] = 0.02 * float32(c+1)
			}
			probs[top] = 0.6
			preds = append(preds, train.ValPrediction{Path: fmt.Sprintf("demo/valid/%s/%04d.png", DemoNames[i%6], i/6+1), Label: i % 6, Probs: probs})
		}
		if err := w.SavePredictions(preds); err != nil {
			t.Fatal(err)
		}
		if err := w.SaveLastPredictions(preds); err != nil {
			t.Fatal(err)
		}
	}
	w.Status.State = fr.State
	w.Status.Epochs = len(fr.Epochs)
	w.Status.BestEpoch = best
	if best > 0 {
		b := fr.Epochs[best-1]
		w.Status.Best = &b
	}
	for _, e := range fr.Epochs {
		w.Status.Seconds += e.Seconds
	}
	if err := w.SaveStatus(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.Rename(w.Dir, filepath.Join(dir, fr.ID)); err != nil {
		t.Fatal(err)
	}
	r, err := store.Load(fr.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Epochs makes n epochs of a run that learns at the given pace.
func Epochs(n int, pace float64) []train.EpochMetrics {
	var out []train.EpochMetrics
	for i := 1; i <= n; i++ {
		f := float64(i)
		out = append(out, train.EpochMetrics{Epoch: i, TrainLoss: 1.8 / (1 + pace*f), TrainAcc: 0.2 + 0.7*f*pace/(1+f*pace),
			ValLoss: 1.9 / (1 + 0.8*pace*f), ValAcc: 0.18 + 0.6*f*pace/(1+f*pace), LR: 0.003, Seconds: 2 + 0.5*float64(i%2), ImagesPerSec: 150})
	}
	return out
}

// ThreeRuns writes the runs most tests use: two finished depths with
// predictions that disagree on some images, and a stopped one.
func ThreeRuns(t testing.TB, dir string) {
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
	WriteRun(t, dir, FakeRun{ID: "20261127-100000-r18-aaaa", Depth: 18, Epochs: Epochs(4, 0.6), State: experiments.StateCompleted, Top1: a})
	WriteRun(t, dir, FakeRun{ID: "20261127-110000-r34-bbbb", Depth: 34, Name: "deeper", Epochs: Epochs(4, 0.4), State: experiments.StateCompleted, Top1: b})
	WriteRun(t, dir, FakeRun{ID: "20261127-120000-r50-cccc", Depth: 50, Name: "flowers-r50", Data: "/data/flowers10", Epochs: Epochs(2, 0.3), Planned: 6, State: experiments.StateStopped})
}

// Settle runs a command and feeds its messages to update, as the bubbletea
// runtime does, until nothing is left; commands that do not answer quickly
// (ticks, waits on training events) are dropped.
func Settle(t testing.TB, update func(tea.Msg) tea.Cmd, cmd tea.Cmd) {
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
			if seq, ok := sequence(msg); ok {
				// tea.Sequence: its commands in order, before the rest.
				queue = append(seq, queue...)
				continue
			}
			queue = append(queue, update(msg))
		}
	}
}

// Common is a page context on the runs folder dir for tests: no colour,
// a 2 GiB memory budget, the data folder read at once, the folder shown
// as RUNS.
func Common(t testing.TB, dir string) *common.Common {
	t.Helper()
	store, err := experiments.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &common.Common{Styles: common.DefaultStyles(PlainRenderer()), Keys: common.DefaultKeyMap(), Store: store,
		Log: slog.New(slog.DiscardHandler), RunsLabel: "RUNS", MemoryBudget: 2 << 30, Width: 80, Height: 24,
		Context: context.Background(), Predictors: experiments.NewPredictorCache()}
}

// Page is what a page test drives: the methods the root model calls.
type Page interface {
	Update(tea.Msg) tea.Cmd
	Captures(tea.KeyMsg) bool
	Back() bool
}

// Harness drives one page as the root model would, without the others:
// keys go to the page (esc to Back first, unless the page captures it),
// the page's commands are settled back into it, and the messages meant for
// the root or another page are kept in Sent for the test to read.
type Harness struct {
	T    testing.TB
	Page Page
	// Store, when set, is read again on RunsChangedMsg, as the root does.
	Store *experiments.Store
	Sent  []tea.Msg
}

// Send delivers msgs to the page and settles what they return.
func (h *Harness) Send(msgs ...tea.Msg) {
	h.T.Helper()
	for _, msg := range msgs {
		Settle(h.T, h.route, h.deliver(msg))
	}
}

// deliver hands a message to the page, keys as the root does.
func (h *Harness) deliver(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyEsc && !h.Page.Captures(k) && h.Page.Back() {
		return nil
	}
	return h.Page.Update(msg)
}

// Press sends named keys (see Keys).
func (h *Harness) Press(keys ...string) {
	h.T.Helper()
	h.Send(Keys(keys...)...)
}

// Last is the latest message of type T the page sent out, and whether
// there was one.
func Last[T tea.Msg](h *Harness) (T, bool) {
	for i := len(h.Sent) - 1; i >= 0; i-- {
		if m, ok := h.Sent[i].(T); ok {
			return m, true
		}
	}
	var zero T
	return zero, false
}

func (h *Harness) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.PageMsg, common.RunsLoadedMsg:
		return h.Page.Update(msg)
	case common.RunsChangedMsg:
		h.Sent = append(h.Sent, msg)
		if h.Store != nil {
			return common.LoadRunsCmd(h.Store)
		}
		return nil
	}
	h.Sent = append(h.Sent, msg)
	return nil
}

// sequence unpacks tea.Sequence's message, whose type bubbletea keeps
// unexported: a slice of commands.
func sequence(msg tea.Msg) ([]tea.Cmd, bool) {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice || v.Type().Elem() != reflect.TypeOf(tea.Cmd(nil)) {
		return nil, false
	}
	out := make([]tea.Cmd, v.Len())
	for i := range out {
		out[i] = v.Index(i).Interface().(tea.Cmd)
	}
	return out, true
}
