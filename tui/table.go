package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// table lays out rows of plain cells in aligned columns that fit a width:
// columns are dropped in the order drop names, then the flex column is
// narrowed, then lines are cut.
type table struct {
	header []string
	rows   [][]string
	right  []bool // right-aligned columns
	drop   []int  // columns to leave out, first first, when too wide
	flex   int    // column narrowed when still too wide; -1 for none
}

// layout returns the kept columns and their widths for width w.
func (t table) layout(w int) ([]int, []int) {
	n := len(t.header)
	widths := make([]int, n)
	for c := range n {
		widths[c] = ansi.StringWidth(t.header[c])
		for _, r := range t.rows {
			if c < len(r) {
				widths[c] = max(widths[c], ansi.StringWidth(r[c]))
			}
		}
	}
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = true
	}
	total := func() int {
		s, k := 0, 0
		for c := range n {
			if keep[c] {
				s += widths[c]
				k++
			}
		}
		return s + 2*max(k-1, 0)
	}
	for _, c := range t.drop {
		if total() <= w {
			break
		}
		if c >= 0 && c < n {
			keep[c] = false
		}
	}
	if over := total() - w; over > 0 && t.flex >= 0 && t.flex < n && keep[t.flex] {
		widths[t.flex] = max(widths[t.flex]-over, 4)
	}
	var cols, ws []int
	for c := range n {
		if keep[c] {
			cols = append(cols, c)
			ws = append(ws, widths[c])
		}
	}
	return cols, ws
}

// lines renders the header and the rows as plain lines of at most w cells.
func (t table) lines(w int) (header string, rows []string) {
	cols, ws := t.layout(w)
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cols {
			cell := ""
			if c < len(cells) {
				cell = cells[c]
			}
			if ansi.StringWidth(cell) > ws[i] {
				cell = truncate(cell, ws[i])
			}
			pad := strings.Repeat(" ", ws[i]-ansi.StringWidth(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if c < len(t.right) && t.right[c] {
				b.WriteString(pad + cell)
			} else if i == len(cols)-1 {
				b.WriteString(cell)
			} else {
				b.WriteString(cell + pad)
			}
		}
		return truncate(strings.TrimRight(b.String(), " "), w)
	}
	header = line(t.header)
	for _, r := range t.rows {
		rows = append(rows, line(r))
	}
	return header, rows
}
