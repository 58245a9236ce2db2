package tui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
)

// training is the run in progress and the queue it came from (one spec, or
// a depth sweep's).
type training struct {
	queue    *experiments.Queue
	spec     experiments.Spec
	sess     *experiments.Session // nil while starting
	cancel   context.CancelFunc
	stopping bool
}

// The root's own messages about the training.
type (
	// sessionMsg is a run that started (or failed to).
	sessionMsg struct {
		sess    *experiments.Session
		spec    experiments.Spec
		resumed bool
		err     error
	}
	// eventMsg is one training event of the run in progress.
	eventMsg struct {
		id string
		ev train.Event
	}
	// eventsClosedMsg says the run's event channel closed: it has ended.
	eventsClosedMsg struct{ id string }
)

const busyTraining = "a run is training: stop it first (2 then s) or wait for it to end"

// startSweep saves a sweep made on the setup screen and trains its runs
// one after another (a run in progress finishes first).
func (m *Model) startSweep(sw *experiments.Sweep) tea.Cmd {
	if t := m.training; t != nil && t.stopping {
		return common.Flash(busyTraining)
	}
	if err := m.c.Store.CreateSweep(sw); err != nil {
		return common.FlashError(err)
	}
	idx := make([]int, len(sw.Runs))
	for i := range idx {
		idx[i] = i
	}
	if t := m.training; t != nil {
		t.queue.AddSweep(sw, idx)
		return tea.Batch(common.LoadRunsCmd(m.c.Store),
			common.Flash(fmt.Sprintf("queued sweep %s: its %d runs start when the run in progress completes (%d waiting)", sw.Name, len(idx), len(t.queue.Waiting()))))
	}
	t := &training{queue: experiments.NewSweepQueue(sw, idx)}
	m.training = t
	m.active = common.PageRun
	return tea.Batch(m.launchNext(t), common.LoadRunsCmd(m.c.Store))
}

// startTraining trains specs one after another.
func (m *Model) startTraining(specs []experiments.Spec) tea.Cmd {
	if len(specs) == 0 {
		return nil
	}
	if t := m.training; t != nil && !t.stopping {
		t.queue.Add(specs...)
		what := "1 run"
		if len(specs) > 1 {
			what = fmt.Sprintf("%d runs", len(specs))
		}
		return common.Flash(fmt.Sprintf("queued %s: it starts when the run in progress completes (%d waiting)", what, len(t.queue.Waiting())))
	}
	if m.training != nil {
		return common.Flash(busyTraining)
	}
	t := &training{queue: experiments.NewQueue(specs)}
	m.training = t
	m.active = common.PageRun
	return m.launchNext(t)
}

// launchNext starts the queue's next spec.
func (m *Model) launchNext(t *training) tea.Cmd {
	next, _ := t.queue.Next()
	spec := next.Spec
	m.run.Starting(spec, false, t.queue)
	ctx, cancel := context.WithCancel(m.ctx)
	t.cancel, t.spec = cancel, spec
	backend := m.backend
	return func() tea.Msg {
		if next.Sweep != nil {
			sess, err := backend.StartSweepRun(ctx, next.Sweep, next.Index)
			return sessionMsg{sess: sess, spec: spec, err: err}
		}
		sess, err := backend.Start(ctx, spec)
		return sessionMsg{sess: sess, spec: spec, err: err}
	}
}

func (m *Model) resumeTraining(id string) tea.Cmd {
	if m.training != nil {
		return common.Flash(busyTraining)
	}
	t := &training{queue: experiments.NewQueue(nil)}
	m.training = t
	ctx, cancel := context.WithCancel(m.ctx)
	t.cancel = cancel
	m.run.Starting(experiments.Spec{}, true, t.queue)
	m.active = common.PageRun
	backend := m.backend
	return func() tea.Msg {
		sess, err := backend.Resume(ctx, id)
		var spec experiments.Spec
		if sess != nil {
			spec = sess.Meta.Spec
		}
		return sessionMsg{sess: sess, spec: spec, resumed: true, err: err}
	}
}

// stopTraining cancels the run in progress: the training loop stops
// between batches and saves a resumable checkpoint; a sweep's queued runs
// are dropped.
func (m *Model) stopTraining() tea.Cmd {
	t := m.training
	if t == nil || t.stopping {
		return nil
	}
	if dropped := m.stop(t); dropped > 0 {
		return common.Flash(fmt.Sprintf("stopping: saving a resumable checkpoint; %d queued sweep runs dropped", dropped))
	}
	return common.Flash("stopping: saving a resumable checkpoint…")
}

// stop cancels training t and drops its queue, saying how many queued
// runs were dropped; the run page shows it stopping.
func (m *Model) stop(t *training) (dropped int) {
	t.stopping = true
	m.run.Stopping()
	dropped = t.queue.Cancel()
	if t.cancel != nil {
		t.cancel()
	}
	return dropped
}

func (m *Model) sessionStarted(msg sessionMsg) tea.Cmd {
	t := m.training
	if t == nil {
		return nil
	}
	if msg.err != nil {
		m.c.Log.Error("run did not start", "error", msg.err)
		m.training = nil
		t.cancel()
		m.run.FailedToStart(msg.err)
		if m.quitting {
			return tea.Quit
		}
		return common.FlashError(msg.err)
	}
	t.sess, t.spec = msg.sess, msg.spec
	m.c.TrainingID = msg.sess.ID
	t.queue.Started(msg.sess.ID)
	m.startedIDs = append(m.startedIDs, msg.sess.ID)
	m.c.Log.Info("lab: run started", "run", msg.sess.ID, "resumed", msg.resumed)
	cmds := []tea.Cmd{waitEvent(msg.sess), common.LoadRunsCmd(m.c.Store), m.run.Started(msg.sess, msg.resumed)}
	if t.queue.Sweep() {
		cmds = append(cmds, m.runs.MarkIDs(t.queue.StartedIDs()))
	}
	return tea.Batch(cmds...)
}

// waitEvent reads one event of the run; the lab re-arms it after each.
func waitEvent(sess *experiments.Session) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-sess.Events
		if !ok {
			return eventsClosedMsg{id: sess.ID}
		}
		return eventMsg{id: sess.ID, ev: ev}
	}
}

func (m *Model) trainingEvent(msg eventMsg) tea.Cmd {
	t := m.training
	if t == nil || t.sess == nil || t.sess.ID != msg.id {
		return nil
	}
	cmds := []tea.Cmd{waitEvent(t.sess), m.run.Event(msg.ev)}
	switch ev := msg.ev.(type) {
	case train.EpochEvent:
		cmds = append(cmds, common.LoadRunsCmd(m.c.Store))
	case train.DoneEvent:
		m.outcomes = append(m.outcomes, RunOutcome{ID: msg.id, Status: experiments.State(ev.Status), Best: ev.Best, Err: ev.Err})
	}
	return tea.Batch(cmds...)
}

// trainingClosed ends the run in progress and starts the sweep's next,
// when the run ended well enough for the sweep to go on.
func (m *Model) trainingClosed(msg eventsClosedMsg) tea.Cmd {
	t := m.training
	if t == nil || t.sess == nil || t.sess.ID != msg.id {
		return nil
	}
	t.cancel()
	m.training = nil
	m.c.TrainingID = ""
	if m.quitting {
		return tea.Quit
	}
	cmds := []tea.Cmd{common.LoadRunsCmd(m.c.Store), m.run.Closed()}
	q := t.queue
	switch {
	case len(q.Waiting()) > 0 && experiments.ContinuesAfter(m.run.Status()):
		next := &training{queue: q}
		m.training = next
		cmds = append(cmds, m.launchNext(next))
	case len(q.Waiting()) > 0:
		cmds = append(cmds, common.Flash(fmt.Sprintf("sweep cancelled: %d queued runs not started", q.Cancel())))
	case q.SweepName() != "":
		cmds = append(cmds, common.Flash(fmt.Sprintf("sweep %s done: its statistics are on the runs screen (3, tab to the sweeps, enter)", q.SweepName())))
	case q.Sweep():
		cmds = append(cmds, common.Flash(fmt.Sprintf("sweep done: %d runs marked on the runs screen (3), c compares them", len(q.StartedIDs()))))
	}
	return tea.Batch(cmds...)
}
