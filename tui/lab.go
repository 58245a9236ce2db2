// Package tui is reslab's face: the bubbletea models, screens, key map and
// styles of the terminal lab. It drives experiments and reads the run store;
// it holds no training logic of its own.
//
// The structure follows charmbracelet/soft-serve: a root Model routes
// messages to five screens (setup, run, runs, compare, predict) that share a
// common context (styles, key map, store, window size). Everything slow —
// reading the store, starting a run, each training event, loading images and
// models — happens in a tea.Cmd, so the UI never waits on training: the
// root reads one training event per command and re-arms the read.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
)

// Backend starts and resumes runs: an experiments.Runner in the binary, a
// fake event source in tests.
type Backend interface {
	Start(ctx context.Context, spec experiments.Spec) (*experiments.Session, error)
	Resume(ctx context.Context, id string) (*experiments.Session, error)
}

// Options configure the lab.
type Options struct {
	RunsDir string
	// DataDir is the image folder the form starts with; "" means the
	// built-in demo data set.
	DataDir string
	// Logger receives the lab's log lines; they never go to the screen.
	Logger *slog.Logger
	// Backend runs the training; nil means an experiments.Runner on the
	// runs folder with MemoryBudget.
	Backend      Backend
	MemoryBudget int64
	// Start, when set, starts this run at once on the run screen
	// (reslab train on a terminal).
	Start  *experiments.Spec
	Input  io.Reader
	Output io.Writer
}

// screenID names the five screens.
type screenID int

const (
	screenSetup screenID = iota
	screenRun
	screenRuns
	screenCompare
	screenPredict
	numScreens
)

var screenNames = [numScreens]string{"setup", "run", "runs", "compare", "predict"}

// screen is one of the lab's screens. Screens are pointers updated in place.
type screen interface {
	update(msg tea.Msg) tea.Cmd
	view(width, height int) string
	help() common.Bindings
	// captures says whether the screen takes this key before the lab's
	// global keys (a text field typing q, a dialog waiting for y/n).
	captures(msg tea.KeyMsg) bool
	// back handles esc inside the screen (closing a dialog or a detail
	// view); false lets the lab go back to the previous screen.
	back() bool
}

// How long a flash message stays, and the pause in typing a data folder
// before it is read (variables for tests).
var (
	flashFor     = 6 * time.Second
	dataDebounce = 300 * time.Millisecond
)

// RunOutcome is how a run trained in the lab ended.
type RunOutcome struct {
	ID     string
	Status experiments.State
	Best   train.Monitor
	Err    error
}

// training is a run in progress and the sweep queued behind it.
type training struct {
	spec     experiments.Spec
	sess     *experiments.Session // nil while starting
	cancel   context.CancelFunc
	queue    []experiments.Spec // a depth sweep's remaining runs
	sweepN   int                // runs in the sweep, 0 without one
	sweepIDs []string           // runs of the sweep started so far
	stopping bool
}

// Model is the lab's root model.
type Model struct {
	c    *common.Common
	opts Options
	// training is the run in progress, nil when none.
	training *training
	ctx      context.Context
	backend  Backend
	help     help.Model

	screens [numScreens]screen
	setup   *setupScreen
	run     *runScreen
	runs    *runsScreen
	compare *compareScreen
	predict *predictScreen
	active  screenID
	history []screenID

	flash      string
	flashErr   bool
	flashSeq   int
	quitting   bool
	forceQuit  bool
	outcomes   []RunOutcome
	startedIDs []string
}

// New returns the lab's root model; r draws its styles (its colour profile
// decides colour or plain).
func New(opts Options, r *lipgloss.Renderer) (*Model, error) {
	store, err := experiments.OpenStore(opts.RunsDir)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backend := opts.Backend
	if backend == nil {
		backend = &experiments.Runner{Store: store, Logger: log, MemoryBudget: opts.MemoryBudget}
	}
	st := common.DefaultStyles(r)
	c := &common.Common{Styles: st, Keys: common.DefaultKeyMap(), Store: store, DataDir: opts.DataDir, MemoryBudget: opts.MemoryBudget, RunsLabel: opts.RunsDir, Log: log, Width: 80, Height: 24}
	h := help.New()
	h.Styles.ShortKey, h.Styles.FullKey = st.HelpKey, st.HelpKey
	h.Styles.ShortDesc, h.Styles.FullDesc = st.Help, st.Help
	h.Styles.ShortSeparator, h.Styles.FullSeparator, h.Styles.Ellipsis = st.Help, st.Help, st.Help
	m := &Model{c: c, opts: opts, ctx: context.Background(), backend: backend, help: h}
	m.setup = newSetupScreen(c)
	m.run = newRunScreen(c)
	m.runs = newRunsScreen(c)
	m.compare = newCompareScreen(c)
	m.predict = newPredictScreen(c)
	m.screens = [numScreens]screen{m.setup, m.run, m.runs, m.compare, m.predict}
	m.active = screenSetup
	if opts.Start != nil {
		m.active = screenRun
		m.setup.load(*opts.Start) // a new run from here starts from the same settings
		m.setup.validate()
	}
	return m, nil
}

// Outcomes are the runs trained in this lab, in order, as they ended.
func (m *Model) Outcomes() []RunOutcome { return m.outcomes }

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{common.LoadRunsCmd(m.c.Store), m.setup.init()}
	if s := m.opts.Start; s != nil {
		cmds = append(cmds, func() tea.Msg { return startMsg{specs: []experiments.Spec{*s}} })
	}
	return tea.Batch(cmds...)
}

// Messages the root handles.
type (
	// startMsg asks the lab to train specs one after another (one spec,
	// or a depth sweep).
	startMsg struct{ specs []experiments.Spec }
	// resumeMsg asks the lab to resume a run.
	resumeMsg struct{ id string }
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
	// switchMsg moves to a screen.
	switchMsg struct{ to screenID }
	// flashMsg shows a one-line message above the help bar.
	flashMsg struct {
		text string
		err  bool
	}
	clearFlashMsg struct{ seq int }
	// runsChangedMsg asks for the run store to be read again.
	runsChangedMsg struct{}
)

func flash(text string) tea.Cmd { return func() tea.Msg { return flashMsg{text: text} } }
func flashError(err error) tea.Cmd {
	return func() tea.Msg { return flashMsg{text: experiments.OneLine(err.Error()), err: true} }
}
func switchTo(s screenID) tea.Cmd { return func() tea.Msg { return switchMsg{to: s} } }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, nil
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case startMsg:
		return m, m.startTraining(msg.specs)
	case resumeMsg:
		return m, m.resumeTraining(msg.id)
	case sessionMsg:
		return m, m.sessionStarted(msg)
	case eventMsg:
		return m, m.trainingEvent(msg)
	case eventsClosedMsg:
		return m, m.trainingClosed(msg)
	case switchMsg:
		return m, m.switchScreen(msg.to)
	case flashMsg:
		m.flash, m.flashErr = msg.text, msg.err
		m.flashSeq++
		seq := m.flashSeq
		return m, tea.Tick(flashFor, func(time.Time) tea.Msg { return clearFlashMsg{seq} })
	case clearFlashMsg:
		if msg.seq == m.flashSeq {
			m.flash = ""
		}
		return m, nil
	case runsChangedMsg:
		return m, common.LoadRunsCmd(m.c.Store)
	}
	// Everything else (loaded data, results of commands) goes to every
	// screen; each ignores what is not its own.
	var cmds []tea.Cmd
	for _, s := range m.screens {
		cmds = append(cmds, s.update(msg))
	}
	return m, tea.Batch(cmds...)
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.quitting {
		return nil
	}
	scr := m.screens[m.active]
	if scr.captures(msg) {
		return scr.update(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return nil
	case key.Matches(msg, k.Back):
		if scr.back() {
			return nil
		}
		if n := len(m.history); n > 0 {
			to := m.history[n-1]
			m.history = m.history[:n-1]
			m.active = to
			return m.entered(to)
		}
		return nil
	case key.Matches(msg, k.Setup):
		return m.switchScreen(screenSetup)
	case key.Matches(msg, k.RunTab):
		return m.switchScreen(screenRun)
	case key.Matches(msg, k.Runs):
		return m.switchScreen(screenRuns)
	case key.Matches(msg, k.Compare):
		return m.switchScreen(screenCompare)
	case key.Matches(msg, k.Predict):
		return m.switchScreen(screenPredict)
	}
	return scr.update(msg)
}

// switchScreen moves to a screen, remembering where esc goes back to.
func (m *Model) switchScreen(to screenID) tea.Cmd {
	if to == m.active {
		return m.entered(to)
	}
	m.history = append(m.history, m.active)
	if len(m.history) > 32 {
		m.history = m.history[1:]
	}
	m.active = to
	return m.entered(to)
}

// entered refreshes what a screen shows when it is opened.
func (m *Model) entered(s screenID) tea.Cmd {
	switch s {
	case screenRuns:
		return common.LoadRunsCmd(m.c.Store)
	case screenSetup:
		return m.setup.refreshEstimate()
	}
	return nil
}

// quit stops a run in progress cleanly (its checkpoint saved, its status
// stopped) and then quits; a second ctrl+c quits without waiting (the run
// is then found interrupted, and still resumable).
func (m *Model) quit() tea.Cmd {
	t := m.training
	if t == nil {
		m.quitting = true
		return tea.Quit
	}
	if m.quitting {
		m.forceQuit = true
		return tea.Quit
	}
	m.quitting = true
	t.queue = nil
	t.stopping = true
	if t.cancel != nil {
		t.cancel()
	}
	m.active = screenRun
	return nil
}

// startTraining trains specs one after another.
func (m *Model) startTraining(specs []experiments.Spec) tea.Cmd {
	if len(specs) == 0 {
		return nil
	}
	if m.training != nil {
		return flash("a run is training: stop it first (2 then s) or wait for it to end")
	}
	t := &training{spec: specs[0], queue: specs[1:]}
	if len(specs) > 1 {
		t.sweepN = len(specs)
	}
	m.training = t
	m.run.starting(t, specs[0], false)
	m.active = screenRun
	return m.launch(t, specs[0])
}

func (m *Model) launch(t *training, spec experiments.Spec) tea.Cmd {
	ctx, cancel := context.WithCancel(m.ctx)
	t.cancel = cancel
	t.spec = spec
	backend := m.backend
	return func() tea.Msg {
		sess, err := backend.Start(ctx, spec)
		return sessionMsg{sess: sess, spec: spec, err: err}
	}
}

func (m *Model) resumeTraining(id string) tea.Cmd {
	if m.training != nil {
		return flash("a run is training: stop it first (2 then s) or wait for it to end")
	}
	t := &training{}
	m.training = t
	ctx, cancel := context.WithCancel(m.ctx)
	t.cancel = cancel
	m.run.starting(t, experiments.Spec{}, true)
	m.active = screenRun
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

func (m *Model) sessionStarted(msg sessionMsg) tea.Cmd {
	t := m.training
	if t == nil {
		return nil
	}
	if msg.err != nil {
		m.c.Log.Error("run did not start", "error", msg.err)
		m.training = nil
		t.cancel()
		m.run.failedToStart(msg.err)
		if m.quitting {
			return tea.Quit
		}
		return flashError(msg.err)
	}
	t.sess = msg.sess
	t.spec = msg.spec
	m.c.TrainingID = msg.sess.ID
	if t.sweepN > 0 {
		t.sweepIDs = append(t.sweepIDs, msg.sess.ID)
	}
	m.startedIDs = append(m.startedIDs, msg.sess.ID)
	m.c.Log.Info("lab: run started", "run", msg.sess.ID, "resumed", msg.resumed)
	cmds := []tea.Cmd{waitEvent(msg.sess), common.LoadRunsCmd(m.c.Store), m.run.started(msg.sess, msg.resumed)}
	if t.sweepN > 0 {
		cmds = append(cmds, m.runs.markIDs(t.sweepIDs))
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
	cmds := []tea.Cmd{waitEvent(t.sess), m.run.event(msg.ev)}
	switch ev := msg.ev.(type) {
	case train.EpochEvent:
		cmds = append(cmds, common.LoadRunsCmd(m.c.Store))
	case train.DoneEvent:
		m.outcomes = append(m.outcomes, RunOutcome{ID: msg.id, Status: experiments.State(ev.Status), Best: ev.Best, Err: ev.Err})
	}
	return tea.Batch(cmds...)
}

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
	cmds := []tea.Cmd{common.LoadRunsCmd(m.c.Store), m.run.closed()}
	last := m.run.status
	if len(t.queue) > 0 {
		if last == experiments.StateCompleted || last == experiments.StateEarlyStopped {
			next := &training{spec: t.queue[0], queue: t.queue[1:], sweepN: t.sweepN, sweepIDs: t.sweepIDs}
			m.training = next
			m.run.starting(next, next.spec, false)
			cmds = append(cmds, m.launch(next, next.spec))
		} else {
			cmds = append(cmds, flash(fmt.Sprintf("sweep cancelled: %d queued runs not started", len(t.queue))))
		}
	} else if t.sweepN > 0 {
		cmds = append(cmds, flash(fmt.Sprintf("sweep done: %d runs marked on the runs screen (3), c compares them", len(t.sweepIDs))))
	}
	return tea.Batch(cmds...)
}

// View implements tea.Model.
func (m *Model) View() string {
	w, h := m.c.Width, m.c.Height
	st := m.c.Styles
	tabs := m.tabBar(w)
	helpView := m.help.View(m.helpKeys())
	var footer []string
	if m.quitting {
		footer = append(footer, st.Warn.Render(common.Truncate("stopping the run and saving a resumable checkpoint before quitting… (ctrl+c again quits at once)", w)))
	} else if m.flash != "" {
		style := st.Good
		if m.flashErr {
			style = st.Error
		}
		footer = append(footer, style.Render(common.Truncate(m.flash, w)))
	}
	// bubbles' help can overflow by a few cells when its ellipsis does
	// not fit; cut it to the window.
	footer = append(footer, common.FitBlock(helpView, w, lipgloss.Height(helpView)))
	foot := strings.Join(footer, "\n")
	bodyH := max(h-1-lipgloss.Height(foot), 1)
	body := m.screens[m.active].view(w, bodyH)
	body = common.FitBlock(body, w, bodyH)
	return tabs + "\n" + body + "\n" + foot
}

func (m *Model) tabBar(w int) string {
	st := m.c.Styles
	parts := []string{st.Title.Render("reslab")}
	for i, name := range screenNames {
		label := fmt.Sprintf("%d %s", i+1, name)
		if screenID(i) == m.active {
			parts = append(parts, st.TabActive.Render("["+label+"]"))
		} else {
			parts = append(parts, st.Tab.Render(" "+label+" "))
		}
	}
	left := strings.Join(parts, " ")
	right := ""
	if t := m.training; t != nil {
		right = st.Warn.Render("● " + m.run.tabStatus())
	}
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		if right != "" && w-lipgloss.Width(left) > 8 {
			right = st.Warn.Render(common.Truncate("● "+m.run.tabStatus(), w-lipgloss.Width(left)-1))
			gap = w - lipgloss.Width(left) - lipgloss.Width(right)
		}
		if gap < 1 {
			return common.Truncate(left, w)
		}
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) helpKeys() common.Bindings {
	k := m.c.Keys
	b := m.screens[m.active].help()
	b.Short = append(append([]key.Binding{k.Help, k.Quit}, b.Short...), k.Screens, k.Back)
	b.Full = append(b.Full, []key.Binding{k.Setup, k.RunTab, k.Runs, k.Compare, k.Predict}, []key.Binding{k.Back, k.Help, k.Quit})
	return b
}

// Run opens the lab on the terminal and returns when the user quits or ctx
// is cancelled, with the outcomes of the runs trained meanwhile. A run
// still training when the lab closes is stopped and saved first.
func Run(ctx context.Context, opts Options) ([]RunOutcome, error) {
	r := lipgloss.NewRenderer(opts.Output)
	m, err := New(opts, r)
	if err != nil {
		return nil, err
	}
	m.ctx = ctx
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen(),
		tea.WithInput(opts.Input), tea.WithOutput(opts.Output))
	_, err = p.Run()
	if t := m.training; t != nil && t.sess != nil {
		// Killed by the context or a second ctrl+c: the run's context is a
		// child of ctx or was cancelled by quit; let it finish saving.
		if t.cancel != nil && !m.forceQuit {
			t.cancel()
		}
		if !m.forceQuit {
			for ev := range t.sess.Events {
				if d, ok := ev.(train.DoneEvent); ok {
					m.outcomes = append(m.outcomes, RunOutcome{ID: t.sess.ID, Status: experiments.State(d.Status), Best: d.Best, Err: d.Err})
				}
			}
		}
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return m.outcomes, ctx.Err()
	}
	return m.outcomes, err
}
