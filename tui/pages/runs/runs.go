package runs

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// Page is the table of saved runs: sortable, filterable, runs marked
// with space for comparison; enter opens a run's details; resume, delete;
// saved comparisons listed below reopen with enter.
type Page struct {
	c             *common.Common
	keys          KeyMap
	width, height int
	all           []*experiments.Run
	bad           []experiments.BadRun
	comps         []experiments.Comparison
	sweeps        []*experiments.Sweep
	err           error
	loaded        bool
	rows          []*experiments.Run // filtered and sorted
	cursor        int
	marked        []string // in marking order: the first is the comparison's reference
	sortCol       int
	desc          bool

	filter    textinput.Model
	filtering bool

	confirm    string // run id waiting for y/n to delete
	focusComps bool
	compCursor int

	details *runDetails
	// sweep is the saved sweep open in place of the table.
	sweep *sweepView
	// filterErr says why the filter does not read (the rows keep the
	// last filter that did).
	filterErr error
}

// Columns of the runs table.
const (
	colMark = iota
	colRun
	colName
	colData
	colArch
	colWidth
	colSize
	colMode
	colStatus
	colEpochs
	colAcc
	colLoss
	colTime
)

var runsHeader = []string{"", "run", "name", "data", "arch", "width", "size", "mode", "status", "epochs", "best acc", "best loss", "time"}

type (
	runDeletedMsg struct {
		id  string
		err error
	}
	// detailsMsg is a run's details loaded.
	detailsMsg struct {
		id    string
		run   *experiments.Run
		preds []experiments.ImagePrediction
		err   error
	}
)

func New(c *common.Common) *Page {
	f := components.NewInput(c.Styles)
	f.Prompt = "/"
	f.Placeholder = "filter: arch:r50 lr<1e-3 status:completed name:~flowers acc>80%, or any text"
	return &Page{c: c, keys: DefaultKeyMap(c.Keys), sortCol: colRun, desc: true, filter: f}
}

// MarkIDs marks the runs of a sweep, so c compares them at once.
func (s *Page) MarkIDs(ids []string) tea.Cmd {
	for _, id := range ids {
		if !slices.Contains(s.marked, id) {
			s.marked = append(s.marked, id)
		}
	}
	return nil
}

// savedCount is the length of the list below the table: the saved
// comparisons, then the sweeps.
func (s *Page) savedCount() int { return len(s.comps) + len(s.sweeps) }

func (s *Page) Captures(msg tea.KeyMsg) bool {
	return s.filtering || s.confirm != ""
}

func (s *Page) Back() bool {
	switch {
	case s.details != nil:
		s.details = nil
		return true
	case s.sweep != nil:
		s.sweep = nil
		return true
	case s.filter.Value() != "":
		s.filter.SetValue("")
		s.refilter()
		return true
	case s.focusComps:
		s.focusComps = false
		return true
	}
	return false
}

// cells is a run's row.
func (s *Page) cells(r *experiments.Run) []string {
	sp := r.Meta.Spec
	bestAcc, bestLoss := "-", "-"
	if acc, loss, ok := r.BestValues(); ok {
		bestAcc, bestLoss = common.Pct(acc), fmt.Sprintf("%.4f", loss)
	}
	return []string{"", r.ID, sp.Name, sp.DataName(), sp.Arch.String(), strconv.Itoa(sp.Width), strconv.Itoa(sp.Size), string(sp.Mode), string(r.Status.State),
		fmt.Sprintf("%d/%d", len(r.Metrics), sp.Epochs), bestAcc, bestLoss, common.Duration(r.Status.Seconds)}
}

// sortKey compares two runs on the sort column.
func (s *Page) less(a, b *experiments.Run) int {
	ca, cb := s.cells(a), s.cells(b)
	var c int
	switch s.sortCol {
	case colArch:
		c = cmp.Compare(a.Meta.Spec.Arch.Depth(), b.Meta.Spec.Arch.Depth())
	case colWidth:
		c = cmp.Compare(a.Meta.Spec.Width, b.Meta.Spec.Width)
	case colSize:
		c = cmp.Compare(a.Meta.Spec.Size, b.Meta.Spec.Size)
	case colEpochs:
		c = cmp.Compare(len(a.Metrics), len(b.Metrics))
	case colAcc, colLoss:
		c = cmp.Compare(bestOf(a, s.sortCol == colAcc), bestOf(b, s.sortCol == colAcc))
	case colTime:
		c = cmp.Compare(a.Status.Seconds, b.Status.Seconds)
	default:
		c = strings.Compare(ca[s.sortCol], cb[s.sortCol])
	}
	if c == 0 {
		c = strings.Compare(a.ID, b.ID)
	}
	if s.desc {
		return -c
	}
	return c
}

// nextColumn is the visible column after col, wrapping; the first when col
// is hidden.
func nextColumn(visible []int, col int) int {
	if len(visible) == 0 {
		return col
	}
	for _, c := range visible {
		if c > col {
			return c
		}
	}
	return visible[0]
}

func bestOf(r *experiments.Run, acc bool) float64 {
	bestAcc, bestLoss, ok := r.BestValues()
	switch {
	case !ok:
		return -1
	case acc:
		return bestAcc
	}
	return bestLoss
}

// refilter applies the filter and the sort, keeping the cursor's run.
func (s *Page) refilter() {
	var keep string
	if s.cursor < len(s.rows) {
		keep = s.rows[s.cursor].ID
	}
	f, err := experiments.ParseFilter(s.filter.Value())
	s.filterErr = err // the rows stay as they were until the filter reads
	if err == nil {
		s.rows = s.rows[:0]
		for _, r := range s.all {
			if f.Match(r) {
				s.rows = append(s.rows, r)
			}
		}
	}
	slices.SortStableFunc(s.rows, s.less)
	s.cursor = 0
	for i, r := range s.rows {
		if r.ID == keep {
			s.cursor = i
		}
	}
}

func (s *Page) current() *experiments.Run {
	if s.cursor < len(s.rows) {
		return s.rows[s.cursor]
	}
	return nil
}

func (s *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.RunsLoadedMsg:
		s.loaded = true
		s.err = msg.Err
		if msg.Err == nil {
			s.all, s.bad, s.comps, s.sweeps = msg.Runs, msg.Bad, msg.Comps, msg.Sweeps
			if s.sweep != nil {
				for _, sw := range s.sweeps {
					if sw.Name == s.sweep.sw.Name {
						s.sweep.sw = sw
					}
				}
			}
			// Forget marks of runs that are gone.
			s.marked = slices.DeleteFunc(s.marked, func(id string) bool {
				return !slices.ContainsFunc(s.all, func(r *experiments.Run) bool { return r.ID == id })
			})
			s.compCursor = min(s.compCursor, max(s.savedCount()-1, 0))
		}
		s.refilter()
		if s.details != nil {
			for _, r := range s.all {
				if r.ID == s.details.run.ID {
					s.details.run = r
				}
			}
		}
		if s.sweep != nil {
			return sweepReportCmd(s.sweep.sw, s.all)
		}
		return nil
	case sweepReportMsg:
		if s.sweep != nil && s.sweep.sw.Name == msg.name {
			s.sweep.rep = &msg.rep
		}
		return nil
	case sweepSlurmMsg:
		if s.sweep == nil || s.sweep.sw.Name != msg.name {
			return nil // the view closed: the asking stops
		}
		s.sweep.slurm = msg.line
		return tea.Tick(slurmAskEvery, func(time.Time) tea.Msg { return sweepSlurmAskMsg{name: msg.name} })
	case sweepSlurmAskMsg:
		if s.sweep == nil || s.sweep.sw.Name != msg.name {
			return nil
		}
		return slurmStateCmd(s.sweep.sw)
	case runDeletedMsg:
		if msg.err != nil {
			return common.FlashError(msg.err)
		}
		s.marked = slices.DeleteFunc(s.marked, func(id string) bool { return id == msg.id })
		return tea.Batch(common.Flash("deleted run "+msg.id), common.LoadRunsCmd(s.c.Store))
	case detailsMsg:
		if s.details != nil && s.details.run.ID == msg.id {
			s.details.preds, s.details.predErr = msg.preds, msg.err
			if msg.run != nil {
				s.details.run = msg.run
			}
		}
		return nil
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *Page) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	if s.confirm != "" {
		id := s.confirm
		switch {
		case key.Matches(msg, k.Yes):
			s.confirm = ""
			store := s.c.Store
			return func() tea.Msg { return runDeletedMsg{id: id, err: store.Delete(id)} }
		case key.Matches(msg, k.No), msg.String() == "q":
			s.confirm = ""
		}
		return nil
	}
	if s.filtering {
		switch msg.Type {
		case tea.KeyEnter, tea.KeyTab:
			s.filtering = false
			s.filter.Blur()
		case tea.KeyEsc:
			s.filtering = false
			s.filter.Blur()
			s.filter.SetValue("")
			s.refilter()
		case tea.KeyUp, tea.KeyDown:
			s.filtering = false
			s.filter.Blur()
			return s.key(msg)
		default:
			var cmd tea.Cmd
			s.filter, cmd = s.filter.Update(msg)
			s.refilter()
			return cmd
		}
		return nil
	}
	if s.details != nil {
		return s.details.key(msg, s)
	}
	if s.sweep != nil {
		return s.sweep.key(msg, s)
	}
	if s.focusComps {
		switch {
		case key.Matches(msg, k.Up):
			s.compCursor = max(s.compCursor-1, 0)
		case key.Matches(msg, k.Down):
			s.compCursor = min(s.compCursor+1, max(s.savedCount()-1, 0))
		case key.Matches(msg, k.Top):
			s.compCursor = 0
		case key.Matches(msg, k.Bottom):
			s.compCursor = max(s.savedCount()-1, 0)
		case key.Matches(msg, k.Next), key.Matches(msg, k.Prev):
			s.focusComps = false
		case key.Matches(msg, k.Open):
			if s.compCursor < len(s.comps) {
				c := s.comps[s.compCursor]
				s.focusComps = false
				return tea.Batch(func() tea.Msg { return common.CompareOpenMsg{IDs: c.Runs, Comparison: &c} }, common.SwitchTo(common.PageCompare))
			}
			if i := s.compCursor - len(s.comps); i < len(s.sweeps) {
				s.sweep = &sweepView{sw: s.sweeps[i], metric: "val_acc"}
				return tea.Batch(sweepReportCmd(s.sweep.sw, s.all), slurmStateCmd(s.sweep.sw))
			}
		}
		return nil
	}
	page := max(s.c.Height-10, 1)
	switch {
	case key.Matches(msg, k.Up):
		s.cursor = max(s.cursor-1, 0)
	case key.Matches(msg, k.Down):
		s.cursor = min(s.cursor+1, max(len(s.rows)-1, 0))
	case key.Matches(msg, k.PageUp):
		s.cursor = max(s.cursor-page, 0)
	case key.Matches(msg, k.PageDown):
		s.cursor = min(s.cursor+page, max(len(s.rows)-1, 0))
	case key.Matches(msg, k.Top):
		s.cursor = 0
	case key.Matches(msg, k.Bottom):
		s.cursor = max(len(s.rows)-1, 0)
	case key.Matches(msg, k.Next), key.Matches(msg, k.Prev):
		if s.savedCount() > 0 {
			s.focusComps = true
		}
	case key.Matches(msg, k.Mark):
		if r := s.current(); r != nil {
			if i := slices.Index(s.marked, r.ID); i >= 0 {
				s.marked = slices.Delete(s.marked, i, i+1)
			} else {
				s.marked = append(s.marked, r.ID)
			}
			s.cursor = min(s.cursor+1, max(len(s.rows)-1, 0))
		}
	case key.Matches(msg, k.Open):
		if r := s.current(); r != nil {
			s.details = &runDetails{run: r}
			store, id := s.c.Store, r.ID
			return func() tea.Msg {
				run, err := store.Load(id)
				if err != nil {
					return detailsMsg{id: id, err: err}
				}
				preds, err := run.Predictions()
				return detailsMsg{id: id, run: run, preds: preds, err: err}
			}
		}
	case key.Matches(msg, k.Resume):
		return s.resume(s.current())
	case key.Matches(msg, k.Delete):
		if r := s.current(); r != nil {
			if s.c.TrainingID == r.ID {
				return common.Flash("that run is training: stop it first")
			}
			s.confirm = r.ID
		}
	case key.Matches(msg, k.Filter):
		s.filtering = true
		return s.filter.Focus()
	case key.Matches(msg, k.Sort):
		s.sortCol = nextColumn(s.visibleColumns(), s.sortCol)
		s.desc = s.sortCol == colRun || s.sortCol == colAcc
		s.refilter()
	case key.Matches(msg, k.Reverse):
		s.desc = !s.desc
		s.refilter()
	case key.Matches(msg, k.New):
		return common.SwitchTo(common.PageSetup)
	case key.Matches(msg, k.ToComp):
		ids := append([]string(nil), s.marked...)
		if len(ids) == 0 {
			if r := s.current(); r != nil {
				ids = []string{r.ID}
			}
		}
		if len(ids) == 0 {
			return common.Flash("no runs to compare: train some first")
		}
		cmds := []tea.Cmd{func() tea.Msg { return common.CompareOpenMsg{IDs: ids} }, common.SwitchTo(common.PageCompare)}
		if len(ids) == 1 {
			cmds = append(cmds, common.Flash("mark runs with space to compare several"))
		}
		return tea.Batch(cmds...)
	case key.Matches(msg, k.ToPred):
		r := s.current()
		if r == nil {
			return common.Flash("no run to predict with")
		}
		b := ""
		for _, id := range s.marked {
			if id != r.ID {
				b = id
				break
			}
		}
		// In order: the page is asked for these runs before it opens, so it
		// does not first open the run trained last on its own.
		return tea.Sequence(func() tea.Msg { return common.PredictOpenMsg{A: r.ID, B: b} }, common.SwitchTo(common.PagePredict))
	case key.Matches(msg, k.Reuse):
		r := s.current()
		if r == nil || r.Status.BestEpoch == 0 {
			return common.Flash("this run has no best weights yet")
		}
		return tea.Batch(func() tea.Msg { return common.StartFromMsg{Run: r} }, common.SwitchTo(common.PageSetup))
	}
	return nil
}

func (s *Page) resume(r *experiments.Run) tea.Cmd {
	if r == nil {
		return nil
	}
	switch r.Status.State {
	case experiments.StateStopped, experiments.StateInterrupted, experiments.StateFailed:
		id := r.ID
		return func() tea.Msg { return common.ResumeMsg{ID: id} }
	}
	return common.Flash(fmt.Sprintf("run %s is %s: only stopped, interrupted or failed runs resume", experiments.ShortID(r.ID), r.Status.State))
}

func (runDeletedMsg) Page() common.PageID  { return common.PageRuns }
func (detailsMsg) Page() common.PageID     { return common.PageRuns }
func (sweepSlurmMsg) Page() common.PageID  { return common.PageRuns }
func (sweepReportMsg) Page() common.PageID { return common.PageRuns }
