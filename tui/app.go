// Package tui is reslab's terminal lab: the root model that routes messages
// to five pages (setup, run, runs, compare, predict), draws the tabs, the
// flash line and the help bar, and owns the one training in progress. It
// drives experiments and reads the run store; it holds no training logic.
//
// The structure follows charmbracelet/soft-serve: every page is a component
// in its own package under pages/, made with a common.Common (styles, keys,
// store, window size); a typed message goes to the page that owns it
// (common.PageMsg), never to all of them. Everything slow — reading the
// store, starting a run, each training event, loading images and models —
// happens in a tea.Cmd, so the UI never waits: the root reads one training
// event per command and re-arms the read.
//
// Below tui, nothing imports bubbletea: experiments, train and resnet know
// no UI.
package tui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/pages/compare"
	"github.com/reslab/reslab/tui/pages/predict"
	"github.com/reslab/reslab/tui/pages/run"
	"github.com/reslab/reslab/tui/pages/runs"
	"github.com/reslab/reslab/tui/pages/setup"
)

// Backend starts and resumes runs: an experiments.Runner in the binary, a
// fake event source in tests.
type Backend interface {
	Start(ctx context.Context, spec experiments.Spec) (*experiments.Session, error)
	Resume(ctx context.Context, id string) (*experiments.Session, error)
	// StartSweepRun starts, or continues, run index of a saved sweep.
	StartSweepRun(ctx context.Context, sw *experiments.Sweep, index int) (*experiments.Session, error)
	// FindLR runs a learning-rate range test on a throwaway model.
	FindLR(ctx context.Context, spec experiments.Spec, o train.LRFindOptions) (train.LRFindResult, error)
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
	// ImageCache is the default backend's disk cache of decoded images
	// (nil: none).
	ImageCache *augment.DiskCache
	// JPEG is the default backend's decoder of JPEG files.
	JPEG augment.JPEGDecoder
	// Start, when set, starts this run at once on the run page
	// (reslab train on a terminal).
	Start  *experiments.Spec
	Input  io.Reader
	Output io.Writer
}

// page is one of the lab's pages. Pages are pointers updated in place.
type page interface {
	Update(msg tea.Msg) tea.Cmd
	SetSize(width, height int)
	View() string
	Help() common.Bindings
	// Captures says whether the page takes this key before the lab's
	// global keys (a text field typing q, a dialog waiting for y/n).
	Captures(msg tea.KeyMsg) bool
	// Back handles esc inside the page (closing a dialog or a detail
	// view); false lets the lab go back to the previous page.
	Back() bool
}

// RunOutcome is how a run trained in the lab ended.
type RunOutcome struct {
	ID     string
	Status experiments.State
	Best   train.Monitor
	Err    error
}

// Model is the lab's root model.
type Model struct {
	c    *common.Common
	opts Options
	// ctx is the lab's lifetime: runs and predictions started from the lab
	// are its children, so closing the lab cancels them.
	ctx     context.Context
	backend Backend
	help    help.Model
	// confirmQuit is set by q while a run trains: the footer asks, and
	// the next key answers.
	confirmQuit bool
	// storeSig is the runs folder's last signature: the lab re-reads the
	// runs when another process changes it.
	storeSig uint64
	// storeWatch is how often the signature is read (0: never, in tests
	// that drive the lab step by step).
	storeWatch time.Duration
	// storeNotify tells of changes in the runs folder as they happen.
	storeNotify <-chan struct{}
	// lrFinding cancels the learning-rate range test in progress.
	lrFinding context.CancelFunc
	// flashFor is how long a flash message stays.
	flashFor time.Duration
	// training is the run in progress, nil when none.
	training *training

	pages   [common.NumPages]page
	setup   *setup.Page
	run     *run.Page
	runs    *runs.Page
	compare *compare.Page
	predict *predict.Page
	active  common.PageID
	history []common.PageID

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
		backend = &experiments.Runner{Store: store, Logger: log, MemoryBudget: opts.MemoryBudget, ImageCache: opts.ImageCache, JPEG: opts.JPEG}
	}
	st := common.DefaultStyles(r)
	c := &common.Common{Styles: st, Keys: common.DefaultKeyMap(), Store: store, DataDir: opts.DataDir,
		MemoryBudget: opts.MemoryBudget, RunsLabel: opts.RunsDir, Log: log, Width: 80, Height: 24,
		DataDebounce: 300 * time.Millisecond, Context: context.Background(), Predictors: experiments.NewPredictorCache()}
	h := help.New()
	h.Styles.ShortKey, h.Styles.FullKey = st.HelpKey, st.HelpKey
	h.Styles.ShortDesc, h.Styles.FullDesc = st.Help, st.Help
	h.Styles.ShortSeparator, h.Styles.FullSeparator, h.Styles.Ellipsis = st.Help, st.Help, st.Help
	m := &Model{c: c, opts: opts, ctx: context.Background(), backend: backend, help: h, flashFor: 6 * time.Second,
		storeWatch: storeWatchInterval}
	m.setup = setup.New(c)
	m.run = run.New(c)
	m.runs = runs.New(c)
	m.compare = compare.New(c)
	m.predict = predict.New(c)
	m.pages = [common.NumPages]page{m.setup, m.run, m.runs, m.compare, m.predict}
	m.active = common.PageSetup
	if opts.Start != nil {
		m.active = common.PageRun
		m.setup.Load(*opts.Start) // a new run from here starts from the same settings
		m.setup.Validate()
	}
	return m, nil
}

// Outcomes are the runs trained in this lab, in order, as they ended.
func (m *Model) Outcomes() []RunOutcome { return m.outcomes }

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{common.LoadRunsCmd(m.c.Store), m.setup.Init(), m.watchStore(true)}
	if m.storeWatch > 0 {
		// Notifications show this machine's writes at once; the polling
		// above stays for what they cannot see.
		if ch, err := m.c.Store.Watch(m.ctx); err == nil {
			m.storeNotify = ch
			cmds = append(cmds, waitNotified(ch))
		} else {
			m.c.Log.Info("lab: no notifications for the runs folder; polling only", "error", err)
		}
	}
	if s := m.opts.Start; s != nil {
		cmds = append(cmds, common.Send(common.StartMsg{Specs: []experiments.Spec{*s}}))
	}
	return tea.Batch(cmds...)
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
	m.c.Context = ctx
	defer m.c.Predictors.Close()
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

// helpKeys are the active page's bindings with the lab's own around them.
func (m *Model) helpKeys() common.Bindings {
	k := m.c.Keys
	pg := m.pages[m.active]
	b := pg.Help()
	// A text field or filter takes letters and digits as text: the bar
	// then says what quits and leaves, not what the keys do elsewhere.
	types := func(r rune) bool { return pg.Captures(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}) }
	var lead, tail []key.Binding
	if !types('?') {
		lead = append(lead, k.Help)
	}
	if types('q') {
		lead = append(lead, common.Hint("ctrl+c", "quit"))
	} else {
		lead = append(lead, k.Quit)
	}
	if !types('1') {
		tail = append(tail, k.Screens)
	}
	// The page's own esc (cancel, close) is what esc does now.
	if !slices.ContainsFunc(b.Short, func(kb key.Binding) bool { return slices.Contains(kb.Keys(), "esc") }) {
		tail = append(tail, k.Back)
	}
	b.Short = append(append(lead, b.Short...), tail...)
	b.Full = append(b.Full, []key.Binding{k.Setup, k.RunTab, k.Runs, k.Compare, k.Predict}, []key.Binding{k.Back, k.Refresh, k.Help, k.Quit})
	return b
}
