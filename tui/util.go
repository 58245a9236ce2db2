package tui

import (
	"fmt"
	"math"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/reslab/reslab/experiments"
)

// runsLoadedMsg is the run store read back.
type runsLoadedMsg struct {
	runs  []*experiments.Run
	bad   []experiments.BadRun
	comps []experiments.Comparison
	err   error
}

// loadRunsCmd reads the run store in the background.
func loadRunsCmd(store *experiments.Store) tea.Cmd {
	return func() tea.Msg {
		runs, bad, err := store.List()
		if err != nil {
			return runsLoadedMsg{err: err}
		}
		comps, err := store.Comparisons()
		return runsLoadedMsg{runs: runs, bad: bad, comps: comps, err: err}
	}
}

// truncate cuts plain or styled text to w cells, with an ellipsis.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

func truncateANSI(s string, w int) string { return truncate(s, w) }

// padRight pads s with spaces to w cells (it is not cut).
func padRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// fitBlock cuts a block of lines to w×h and pads it to h lines, so a
// screen never pushes the help bar off the terminal.
func fitBlock(s string, w, h int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = truncate(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// runLabel is a run's legend: its short id and what it is.
func runLabel(r *experiments.Run) string {
	s := r.Meta.Spec
	return fmt.Sprintf("%s %s w%d %dpx", experiments.ShortID(r.ID), s.Arch.Short(), s.Width, s.Size)
}

// duration writes seconds as 42s, 3m05s or 1h02m.
func duration(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) || sec < 0 {
		return "-"
	}
	s := int(math.Round(sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
	}
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// bar draws a horizontal bar of w cells filled to frac, with eighths.
func bar(st *Styles, frac float64, w int) string {
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
