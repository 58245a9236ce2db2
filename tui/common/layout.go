package common

import (
	"errors"
	"fmt"
	"math"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/reslab/reslab/experiments"
)

// RunsLoadedMsg is the run store read back.
type RunsLoadedMsg struct {
	Runs  []*experiments.Run
	Bad   []experiments.BadRun
	Comps []experiments.Comparison
	// Sweeps are the saved sweeps (unreadable ones are left out).
	Sweeps []*experiments.Sweep
	Err    error
}

// LoadRunsCmd reads the run store in the background.
func LoadRunsCmd(store *experiments.Store) tea.Cmd {
	return func() tea.Msg {
		runs, bad, err := store.List()
		if err != nil {
			return RunsLoadedMsg{Err: err}
		}
		comps, err := store.Comparisons()
		sweeps, _, serr := store.Sweeps()
		return RunsLoadedMsg{Runs: runs, Bad: bad, Comps: comps, Sweeps: sweeps, Err: errors.Join(err, serr)}
	}
}

// Truncate cuts plain or styled text to w cells, with an ellipsis.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// JoinFit joins parts with sep in order while the line fits w cells,
// leaving out the parts after the first that does not: a status line
// loses its last items whole instead of ending in a cut word. A first part
// wider than w is cut.
func JoinFit(parts []string, sep string, w int) string {
	line := ""
	for i, p := range parts {
		next := p
		if i > 0 {
			next = line + sep + p
		}
		if ansi.StringWidth(next) > w {
			if i == 0 {
				return Truncate(p, w)
			}
			break
		}
		line = next
	}
	return line
}

// Pack lays parts out in order on as many lines of at most w cells as
// they need, joined by sep within a line, so none is cut (but one that
// alone is wider than w).
func Pack(parts []string, sep string, w int) string {
	var lines []string
	line := ""
	for _, p := range parts {
		switch {
		case line == "":
			line = p
		case ansi.StringWidth(line+sep+p) <= w:
			line += sep + p
		default:
			lines = append(lines, Truncate(line, w))
			line = p
		}
	}
	if line != "" {
		lines = append(lines, Truncate(line, w))
	}
	return strings.Join(lines, "\n")
}

// MessageLines is how many lines an error, hint or flash may wrap to.
const MessageLines = 4

// Wrap breaks s into lines of at most w cells, at spaces where it can, so
// a message is read whole instead of cut; past maxLines the last line ends
// with "…".
func Wrap(s string, w, maxLines int) string {
	if w <= 0 {
		return ""
	}
	lines := strings.Split(ansi.Wrap(s, w, ""), "\n")
	if maxLines > 0 && len(lines) > maxLines {
		lines = lines[:maxLines]
		lines[maxLines-1] = Truncate(lines[maxLines-1]+" …", w)
		if !strings.HasSuffix(lines[maxLines-1], "…") {
			lines[maxLines-1] = Truncate(lines[maxLines-1], w-1) + "…"
		}
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// Height is the number of lines blocks take when joined by newlines
// (a block may have wrapped to several).
func Height(blocks []string) int {
	n := 0
	for _, b := range blocks {
		n += strings.Count(b, "\n") + 1
	}
	return n
}

// PadRight pads s with spaces to w cells (it is not cut).
func PadRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// FitBlock cuts a block of lines to w×h and pads it to h lines, so a
// screen never pushes the help bar off the terminal.
func FitBlock(s string, w, h int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = Truncate(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// RunLabel is a run's legend: its short id and what it is.
func RunLabel(r *experiments.Run) string {
	s := r.Meta.Spec
	label := fmt.Sprintf("%s %s w%d %dpx", experiments.ShortID(r.ID), s.Arch.Short(), s.Width, s.Size)
	if s.Name != "" {
		label = s.Name + " · " + label
	}
	return label
}

// Duration writes seconds as 42s, 3m05s or 1h02m ("-" when unknown).
func Duration(sec float64) string { return experiments.Duration(sec) }

// Pct writes a fraction as a percentage with one decimal.
func Pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// Bar draws a horizontal bar of w cells filled to frac, with eighths.
func Bar(st *Styles, frac float64, w int) string {
	if w <= 0 {
		return ""
	}
	frac = math.Max(0, math.Min(1, frac))
	eighths := int(math.Round(frac * float64(w) * 8))
	full := eighths / 8
	part := eighths % 8
	s := strings.Repeat("█", full)
	empty := w - full
	if part > 0 && full < w {
		s += string([]rune(" ▏▎▍▌▋▊▉")[part])
		empty--
	}
	return st.BarFull.Render(s) + st.BarEmpty.Render(strings.Repeat("░", max(empty, 0)))
}

// PadLines pads every line of a block to w cells.
func PadLines(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = PadRight(l, w)
	}
	return strings.Join(lines, "\n")
}

// Spread puts left and right on one line of w cells.
func Spread(left, right string, w int) string {
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return Truncate(left, max(w-lipgloss.Width(right)-1, 0)) + " " + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// GB writes bytes as MB below a gigabyte, else GB.
func GB(b int64) string {
	if b < 1<<30 {
		return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
}
