package compare

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// compareMetrics are the metrics the compare screen cycles through; each
// pair (accuracy, loss) is drawn side by side on wide terminals.
var compareMetrics = []string{"val_acc", "val_loss", "train_acc", "train_loss", "lr"}

// Page overlays several runs' curves per metric, each run its own
// colour and character, above the summary table (best values, parameters,
// seconds per epoch, McNemar p-value against the first run). Comparisons
// save by name and reopen from the runs screen.
type Page struct {
	c             *common.Common
	keys          KeyMap
	width, height int
	ids           []string
	runs          []*experiments.Run
	sums          []experiments.RunSummary
	err           error
	loading       bool
	metric        int
	smooth        bool
	log           bool
	time          bool
	diffOnly      bool // the table leaves out settings every run shares and lists the others that differ
	diffs         []experiments.SettingDiff
	name          string // saved as

	saving bool
	input  textinput.Model
}

type (
	compareLoadedMsg struct {
		ids   []string
		runs  []*experiments.Run
		sums  []experiments.RunSummary
		diffs []experiments.SettingDiff
		err   error
	}
	comparisonSavedMsg struct {
		name string
		err  error
	}
)

func New(c *common.Common) *Page {
	in := components.NewInput(c.Styles)
	in.Prompt = "save comparison as: "
	in.Placeholder = "a name such as depths-flowers"
	in.CharLimit = 64
	return &Page{c: c, keys: DefaultKeyMap(c.Keys), input: in}
}

func (s *Page) Captures(tea.KeyMsg) bool { return s.saving }

func (s *Page) Back() bool {
	if s.saving {
		s.saving = false
		s.input.Blur()
		return true
	}
	return false
}

func (s *Page) open(msg common.CompareOpenMsg) tea.Cmd {
	s.ids = msg.IDs
	s.loading = true
	s.err = nil
	s.name = ""
	if c := msg.Comparison; c != nil {
		s.name = c.Name
		s.metric = max(slices.Index(compareMetrics, c.Metric), 0)
		s.smooth, s.log, s.time = c.Smooth, c.Log, c.XAxis == "time"
	}
	store, ids := s.c.Store, msg.IDs
	return func() tea.Msg {
		var runs []*experiments.Run
		var errs []error
		for _, id := range ids {
			r, err := store.Load(id)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			runs = append(runs, r)
		}
		var sums []experiments.RunSummary
		var diffs []experiments.SettingDiff
		if len(runs) > 0 {
			sums = experiments.Summarize(runs)
			specs := make([]experiments.Spec, len(runs))
			for i, r := range runs {
				specs[i] = r.Meta.Spec
			}
			var err error
			if diffs, err = experiments.DifferingSettings(specs); err != nil {
				errs = append(errs, err)
			}
		}
		return compareLoadedMsg{ids: ids, runs: runs, sums: sums, diffs: diffs, err: errors.Join(errs...)}
	}
}

func (s *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.CompareOpenMsg:
		return s.open(msg)
	case compareLoadedMsg:
		if slices.Equal(msg.ids, s.ids) {
			s.loading = false
			s.runs, s.sums, s.diffs, s.err = msg.runs, msg.sums, msg.diffs, msg.err
		}
		return nil
	case comparisonSavedMsg:
		if msg.err != nil {
			return common.FlashError(msg.err)
		}
		s.name = msg.name
		return tea.Batch(common.Flash("saved comparison "+msg.name+": reopen it from the runs screen (3, tab)"), func() tea.Msg { return common.RunsChangedMsg{} })
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *Page) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	if s.saving {
		switch msg.Type {
		case tea.KeyEnter:
			name := strings.TrimSpace(s.input.Value())
			s.saving = false
			s.input.Blur()
			if name == "" {
				return nil
			}
			comp := experiments.Comparison{Name: name, Metric: compareMetrics[s.metric], Smooth: s.smooth, Log: s.log, XAxis: "epoch"}
			if s.time {
				comp.XAxis = "time"
			}
			for _, r := range s.runs {
				comp.Runs = append(comp.Runs, r.ID)
			}
			store := s.c.Store
			return func() tea.Msg { return comparisonSavedMsg{name: name, err: store.SaveComparison(comp)} }
		case tea.KeyEsc:
			s.saving = false
			s.input.Blur()
			return nil
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Next), key.Matches(msg, k.Right), msg.String() == "j", msg.Type == tea.KeyDown:
		s.metric = (s.metric + 1) % len(compareMetrics)
	case key.Matches(msg, k.Prev), key.Matches(msg, k.Left), msg.String() == "k", msg.Type == tea.KeyUp:
		s.metric = (s.metric - 1 + len(compareMetrics)) % len(compareMetrics)
	case key.Matches(msg, k.Smooth):
		s.smooth = !s.smooth
	case key.Matches(msg, k.Log):
		s.log = !s.log
	case key.Matches(msg, k.XAxis):
		s.time = !s.time
	case key.Matches(msg, k.Diff):
		s.diffOnly = !s.diffOnly
	case key.Matches(msg, k.Save):
		if len(s.runs) == 0 {
			return common.Flash("nothing to save: mark runs on the runs screen (3) and press c")
		}
		s.saving = true
		if s.name != "" {
			s.input.SetValue(s.name)
			s.input.CursorEnd()
		}
		return s.input.Focus()
	case key.Matches(msg, k.ToPred):
		if len(s.runs) > 0 {
			a, b := s.runs[0].ID, ""
			if len(s.runs) > 1 {
				b = s.runs[1].ID
			}
			return tea.Sequence(func() tea.Msg { return common.PredictOpenMsg{A: a, B: b} }, common.SwitchTo(common.PagePredict))
		}
	}
	return nil
}

func (s *Page) Help() common.Bindings {
	k := s.keys
	if s.saving {
		return common.Bindings{Short: []key.Binding{common.Hint("enter", "save"), common.Hint("esc", "cancel")}}
	}
	return common.Bindings{
		Short: []key.Binding{k.Metric, k.Smooth, k.Log, k.XAxis, k.Diff, k.Save, k.ToPred},
		Full:  [][]key.Binding{{k.Metric, k.Smooth, k.Log, k.XAxis}, {k.Diff, k.Save, k.ToPred}},
	}
}

// chart draws one metric of every run.
func (s *Page) chart(metric string, w, h int, caption bool) string {
	cv := components.ChartView{Title: metric, Smooth: s.smooth, Log: s.log && train.Minimised(metric), TimeAxis: s.time,
		NoCaption: !caption}
	if s.time {
		cv.Title += " by time"
	} else {
		cv.Title += " by epoch"
	}
	labels := legendLabels(s.runs)
	for i, r := range s.runs {
		cv.Curves = append(cv.Curves, components.EpochCurve(labels[i], r.Metrics, metric, s.time))
	}
	return common.FitBlock(components.RenderChart(s.c.Styles, cv, w, h), w, h)
}

func (s *Page) render(w, h int) string {
	st := s.c.Styles
	if len(s.ids) == 0 {
		return "\n" + st.Subtle.Render("Nothing to compare yet.") + "\n\n" +
			"  3      the runs screen: space marks runs, c compares them\n" +
			"  3 tab  reopen a saved comparison\n"
	}
	var top []string
	title := fmt.Sprintf("compare %d runs", len(s.ids))
	if len(s.ids) == 1 {
		title = "compare 1 run"
	}
	if s.name != "" {
		title += " · saved as " + s.name
	}
	var views []string
	if s.smooth {
		views = append(views, "smoothed")
	}
	if s.log {
		views = append(views, "log scale (losses)")
	}
	if s.time {
		views = append(views, "x: time")
	}
	if s.diffOnly {
		views = append(views, "differing settings")
	}
	top = append(top, common.Spread(st.Title.Render(title), st.Subtle.Render(strings.Join(views, " · ")), w))
	if s.saving {
		top = append(top, common.Truncate(s.input.View(), w))
	}
	if s.err != nil {
		top = append(top, st.Error.Render(common.Wrap(experiments.OneLine(s.err.Error()), w, common.MessageLines)))
	}
	if s.loading {
		return strings.Join(append(top, "loading runs and pairing their predictions…"), "\n")
	}
	if len(s.runs) == 0 {
		return strings.Join(top, "\n")
	}
	// Metric tabs.
	var tabs []string
	for i, m := range compareMetrics {
		if i == s.metric {
			tabs = append(tabs, st.TabActive.Render("["+m+"]"))
		} else {
			tabs = append(tabs, st.Tab.Render(" "+m+" "))
		}
	}
	top = append(top, common.Truncate(strings.Join(tabs, " "), w))

	// The summary table.
	rows := experiments.SummaryRows(s.sums)
	for i := 1; i < len(rows); i++ {
		rows[i][0] = experiments.ShortID(rows[i][0])
	}
	t := components.Table{Header: rows[0], Rows: rows[1:], Right: []bool{false, false, false, false, true, true, false, true, false, true, true, true, true, true, false},
		Drop: []int{12, 5, 6, 8, 9, 4, 7, 2, 13}, Flex: 1}
	var cut []experiments.SettingDiff // differing settings the width leaves out of the table
	if s.diffOnly {
		t = t.Without(uniformColumns(t.Rows, summarySettings))
		settings := map[string]bool{}
		for _, c := range summarySettings {
			settings[rows[0][c]] = true
		}
		delete(settings, "params") // follows from the arch and width shown
		delete(settings, "name")   // the legend names the runs
		kept, _ := t.Layout(w)
		for c, name := range t.Header {
			if settings[name] && !slices.Contains(kept, c) {
				d := experiments.SettingDiff{Setting: name}
				for _, r := range t.Rows {
					d.Values = append(d.Values, r[c])
				}
				cut = append(cut, d)
			}
		}
	}
	hd, lines := t.Lines(w)
	tableLines := append([]string{st.Header.Render(hd)}, lines...)
	note := "p vs first: McNemar's exact test against the first run (only it right / only this right)"
	var notes []string
	for _, sum := range s.sums {
		if sum.Note != "" && !slices.Contains(notes, sum.Note) {
			notes = append(notes, sum.Note)
		}
	}
	if len(notes) > 0 {
		note += "; n/a: " + strings.Join(notes, "; ")
	}
	if s.diffOnly {
		// The settings without a column that differ take the test's
		// explanation's place (the full view keeps it); why a p is n/a
		// stays.
		note = ""
		if len(notes) > 0 {
			note = "n/a: " + strings.Join(notes, "; ")
		}
	}
	if note != "" {
		note = st.Subtle.Render(common.Wrap(note, w, 2))
		tableLines = append(tableLines, strings.Split(note, "\n")...)
	}
	if s.diffOnly {
		tableLines = append(tableLines, s.diffLines(append(cut, s.diffs...), w, max(h-common.Height(top)-len(tableLines)-8, 2))...)
	}
	chartH := h - common.Height(top) - len(tableLines) - 2
	metric := compareMetrics[s.metric]
	var charts string
	if w >= 150 {
		pair := compareMetrics[(s.metric^1)%len(compareMetrics)]
		if pair == metric {
			pair = compareMetrics[0]
		}
		cw := (w - 2) / 2
		charts = lipgloss.JoinHorizontal(lipgloss.Top, common.PadLines(s.chart(metric, cw, chartH, true), cw+2), s.chart(pair, cw, chartH, true))
	} else {
		charts = s.chart(metric, w, chartH, false) // one chart: the tabs above name its metric
	}
	return strings.Join(top, "\n") + "\n" + charts + "\n\n" + strings.Join(tableLines, "\n")
}

// diffLines list the settings that differ between the runs that the
// summary table does not show (diffs), one a line with each run's value
// in the table's order, in at most n lines.
func (s *Page) diffLines(diffs []experiments.SettingDiff, w, n int) []string {
	st := s.c.Styles
	if len(diffs) == 0 {
		return []string{st.Subtle.Render("no other setting differs")}
	}
	labels := legendLabels(s.runs)
	t := components.Table{Header: []string{"differs"}, Flex: 0}
	for _, l := range labels {
		t.Header = append(t.Header, common.Truncate(l, 16))
	}
	for _, d := range diffs {
		t.Rows = append(t.Rows, append([]string{d.Setting}, d.Values...))
	}
	hd, lines := t.Lines(w)
	if len(lines) > n {
		more := len(lines) - n + 1
		lines = append(lines[:n-1], st.Subtle.Render(fmt.Sprintf("… %d more differ (reslab compare lists them all)", more)))
	}
	return append([]string{st.Header.Render(hd)}, lines...)
}

// legendLabels name the runs in the chart's legend briefly: a run's name
// (or short id) and depth, with the id's last part when another run would
// read the same. The table below says the rest.
func legendLabels(runs []*experiments.Run) []string {
	out := make([]string, len(runs))
	seen := map[string]int{}
	for i, r := range runs {
		id := r.Meta.Spec.Name
		if id == "" {
			id = experiments.ShortID(r.ID)
		}
		out[i] = id + " " + r.Meta.Spec.Arch.Short()
		seen[out[i]]++
	}
	for i, r := range runs {
		if seen[out[i]] > 1 {
			out[i] += " " + r.ID[max(len(r.ID)-4, 0):]
		}
	}
	return out
}

// summarySettings are the summary table's setting columns (name, data,
// arch, width, size, mode, params): the ones d hides when every run
// shares them.
var summarySettings = []int{1, 2, 3, 4, 5, 6, 7}

// uniformColumns are the columns among cols whose value is the same in
// every row.
func uniformColumns(rows [][]string, cols []int) []int {
	var out []int
	for _, c := range cols {
		same := true
		for _, r := range rows[1:] {
			if r[c] != rows[0][c] {
				same = false
				break
			}
		}
		if same && len(rows) > 1 {
			out = append(out, c)
		}
	}
	return out
}

func (compareLoadedMsg) Page() common.PageID   { return common.PageCompare }
func (comparisonSavedMsg) Page() common.PageID { return common.PageCompare }

// SetSize sets the page's size in cells.
func (s *Page) SetSize(w, h int) { s.width, s.height = w, h }

// View draws the page at its size.
func (s *Page) View() string { return s.render(s.width, s.height) }
