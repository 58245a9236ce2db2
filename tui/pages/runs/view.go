package runs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

func (s *Page) Help() common.Bindings {
	k := s.keys
	switch {
	case s.confirm != "":
		return common.Bindings{Short: []key.Binding{k.Yes, k.No}}
	case s.filtering:
		return common.Bindings{Short: []key.Binding{common.Hint("enter", "keep filter"), common.Hint("esc", "clear")}}
	case s.details != nil:
		return common.Bindings{Short: []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.Resume, k.ToPred}, Full: [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Resume, k.ToPred}}}
	case s.sweep != nil:
		return common.Bindings{Short: []key.Binding{common.Hint("tab", "loss/accuracy"), k.Up, k.Down, k.Top, k.Bottom},
			Full: [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {common.Hint("tab", "loss/accuracy")}}}
	case s.focusComps:
		return common.Bindings{Short: []key.Binding{common.Hint("enter", "open"), k.Up, k.Down, k.Top, k.Bottom, common.Hint("tab", "runs")}}
	}
	return common.Bindings{
		Short: []key.Binding{k.Mark, k.Open, k.ToComp, k.ToPred, k.Resume, k.Delete, k.Filter, k.Sort},
		Full: [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Mark, k.Open, k.Resume, k.Delete, k.New},
			{k.Filter, k.Sort, k.Reverse, common.Hint("tab", "saved comparisons and sweeps")},
			{k.ToComp, k.ToPred, k.Reuse}},
	}
}

func (s *Page) render(w, h int) string {
	if s.details != nil {
		return s.details.view(s.c, w, h)
	}
	if s.sweep != nil {
		return s.sweep.view(s.c, s.all, w, h)
	}
	st := s.c.Styles
	var top []string
	sortName := runsHeader[s.sortCol]
	dir := "↑"
	if s.desc {
		dir = "↓"
	}
	title := st.Title.Render(fmt.Sprintf("runs in %s", s.c.RunsLabel))
	info := st.Subtle.Render(fmt.Sprintf("%d shown of %d · sorted by %s %s · %d marked", len(s.rows), len(s.all), sortName, dir, len(s.marked)))
	top = append(top, common.Spread(title, info, w))
	switch {
	case s.filtering || s.filter.Value() != "":
		top = append(top, common.Truncate(s.filter.View(), w))
		if s.filterErr != nil {
			top = append(top, st.Error.Render(common.Wrap("✗ "+s.filterErr.Error(), w, 2)))
		}
	case s.confirm != "":
	default:
	}
	if s.confirm != "" {
		top = append(top, st.Error.Render(common.Truncate(fmt.Sprintf("delete run %s and all its files? y/n", s.confirm), w)))
	}
	if s.err != nil {
		top = append(top, st.Error.Render(common.Wrap(experiments.OneLine(s.err.Error()), w, common.MessageLines)))
	}
	if !s.loaded {
		return strings.Join(append(top, "reading the runs folder…"), "\n")
	}
	if len(s.all) == 0 && len(s.sweeps) == 0 {
		return strings.Join(append(top, "", "No runs yet: press n (or 1) to set one up."), "\n")
	}
	var bottom []string
	if len(s.bad) > 0 {
		bottom = append(bottom, st.Warn.Render(common.Wrap(fmt.Sprintf("%d folders are not readable runs (first: %s: %s)", len(s.bad), s.bad[0].Name, s.bad[0].Reason), w, 2)))
	}
	if n := s.savedCount(); n > 0 {
		what := "saved comparisons"
		switch {
		case len(s.comps) == 0:
			what = "sweeps"
		case len(s.sweeps) > 0:
			what = "saved comparisons and sweeps"
		}
		label := what + " (tab):"
		if s.focusComps {
			label = st.Selected.Render(what + " (enter opens):")
		}
		bottom = append(bottom, st.Subtle.Render(label))
		maxComps := max(min(n, h/5), 1)
		from := max(0, s.compCursor-maxComps+1)
		for i := from; i < n && i < from+maxComps; i++ {
			var line string
			if i < len(s.comps) {
				c := s.comps[i]
				line = fmt.Sprintf("  %s · %d runs · %s", c.Name, len(c.Runs), c.Metric)
			} else {
				sw := s.sweeps[i-len(s.comps)]
				line = fmt.Sprintf("  sweep %s · %d arms × %d seeds × %d folds · %s", sw.Name, len(sw.Arms), sw.Seeds, max(sw.Folds, 1),
					experiments.Count(sw.Progress(s.all)))
			}
			if s.focusComps && i == s.compCursor {
				line = st.Selected.Render("› " + line[2:])
			}
			bottom = append(bottom, common.Truncate(line, w))
		}
	}
	t := s.table(w)
	hd, lines := t.Lines(w)
	avail := max(h-common.Height(top)-common.Height(bottom)-1, 1)
	first := 0
	if s.cursor >= avail {
		first = s.cursor - avail + 1
	}
	var body []string
	body = append(body, st.Header.Render(hd))
	for i := first; i < len(lines) && i < first+avail; i++ {
		l := lines[i]
		switch {
		case i == s.cursor && !s.focusComps:
			l = st.Selected.Render(l)
		case slices.Contains(s.marked, s.rows[i].ID):
			l = st.Marked.Render(l)
		}
		body = append(body, l)
	}
	out := strings.Join(top, "\n") + "\n" + strings.Join(body, "\n")
	if len(bottom) > 0 {
		pad := h - lipgloss.Height(out) - common.Height(bottom)
		if pad > 0 {
			out += strings.Repeat("\n", pad)
		}
		out += "\n" + strings.Join(bottom, "\n")
	}
	return out
}

// table is the runs table at width w: the cursor and marks in the first
// column, short ids below 110 columns.
func (s *Page) table(w int) components.Table {
	var rows [][]string
	for i, r := range s.rows {
		c := s.cells(r)
		cur := " "
		if i == s.cursor && !s.focusComps {
			cur = "›"
		}
		mark := " "
		if j := slices.Index(s.marked, r.ID); j >= 0 {
			mark = "●"
			if j < 9 {
				mark = strconv.Itoa(j + 1)
			}
		}
		c[colMark] = cur + mark
		if w < 110 {
			c[colRun] = experiments.ShortID(c[colRun])
			c[colArch] = r.Meta.Spec.Arch.Short()
		}
		rows = append(rows, c)
	}
	return components.Table{Header: runsHeader, Rows: rows,
		Right: []bool{colWidth: true, colSize: true, colEpochs: true, colAcc: true, colLoss: true, colTime: true},
		Drop:  []int{colTime, colWidth, colSize, colLoss, colMode, colEpochs, colData}, Flex: colName}
}

// visibleColumns are the table's columns shown at the page's width, the
// only ones sorting cycles through.
func (s *Page) visibleColumns() []int {
	cols, _ := s.table(s.width).Layout(s.width)
	return slices.DeleteFunc(cols, func(c int) bool { return c == colMark })
}

// SetSize sets the page's size in cells.
func (s *Page) SetSize(w, h int) { s.width, s.height = w, h }

// View draws the page at its size.
func (s *Page) View() string { return s.render(s.width, s.height) }
