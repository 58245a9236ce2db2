package components

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"
)

// WrappedHelp draws bindings with bubbles' help styles, wrapped to lines
// of at most w cells instead of cut with an ellipsis, so every key a
// screen offers can be read at 80 columns. The short view is one list;
// the full view (all) puts each group on its own line or lines.
func WrappedHelp(h help.Model, short []key.Binding, full [][]key.Binding, all bool, w int) string {
	h.Width = 0 // never cut: the lines are sized here
	groups := [][]key.Binding{short}
	if all {
		groups = full
	}
	var lines []string
	for _, g := range groups {
		lines = append(lines, wrapBindings(h, enabled(g), w)...)
	}
	return strings.Join(lines, "\n")
}

func enabled(bs []key.Binding) []key.Binding {
	var out []key.Binding
	for _, b := range bs {
		if b.Enabled() && b.Help().Key != "" {
			out = append(out, b)
		}
	}
	return out
}

// wrapBindings packs bindings into as few lines of at most w cells as
// their order allows.
func wrapBindings(h help.Model, bs []key.Binding, w int) []string {
	var lines []string
	var line []key.Binding
	for _, b := range bs {
		try := append(append([]key.Binding(nil), line...), b)
		if len(line) > 0 && ansi.StringWidth(h.ShortHelpView(try)) > w {
			lines = append(lines, h.ShortHelpView(line))
			line = []key.Binding{b}
			continue
		}
		line = try
	}
	if len(line) > 0 {
		lines = append(lines, h.ShortHelpView(line))
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w { // one binding wider than the window
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return lines
}
