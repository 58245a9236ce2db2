package components

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/reslab/reslab/tui/common"
)

// Table lays out rows of plain cells in aligned columns that fit a width:
// columns are dropped in the order drop names, then the flex column is
// narrowed, then lines are cut.
type Table struct {
	Header []string
	Rows   [][]string
	Right  []bool // right-aligned columns
	Drop   []int  // columns to leave out, first first, when too wide
	Flex   int    // column narrowed when still too wide; -1 for none
}

// Without is the table with the given columns left out (Right, Drop and
// Flex follow the columns that stay).
func (t Table) Without(cols []int) Table {
	if len(cols) == 0 {
		return t
	}
	gone := make(map[int]bool, len(cols))
	for _, c := range cols {
		gone[c] = true
	}
	newIndex := make(map[int]int)
	out := Table{Flex: -1}
	for c := range t.Header {
		if gone[c] {
			continue
		}
		newIndex[c] = len(out.Header)
		out.Header = append(out.Header, t.Header[c])
		out.Right = append(out.Right, c < len(t.Right) && t.Right[c])
	}
	for _, r := range t.Rows {
		var row []string
		for c, cell := range r {
			if !gone[c] {
				row = append(row, cell)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	for _, c := range t.Drop {
		if i, ok := newIndex[c]; ok {
			out.Drop = append(out.Drop, i)
		}
	}
	if i, ok := newIndex[t.Flex]; ok {
		out.Flex = i
	}
	return out
}

// Layout returns the kept columns and their widths for width w.
func (t Table) Layout(w int) ([]int, []int) {
	n := len(t.Header)
	widths := make([]int, n)
	for c := range n {
		widths[c] = ansi.StringWidth(t.Header[c])
		for _, r := range t.Rows {
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
	for _, c := range t.Drop {
		if total() <= w {
			break
		}
		if c >= 0 && c < n {
			keep[c] = false
		}
	}
	if over := total() - w; over > 0 && t.Flex >= 0 && t.Flex < n && keep[t.Flex] {
		widths[t.Flex] = max(widths[t.Flex]-over, 4)
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

// Lines renders the header and the rows as plain lines of at most w cells.
func (t Table) Lines(w int) (header string, rows []string) {
	cols, ws := t.Layout(w)
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cols {
			cell := ""
			if c < len(cells) {
				cell = cells[c]
			}
			if ansi.StringWidth(cell) > ws[i] {
				cell = common.Truncate(cell, ws[i])
			}
			pad := strings.Repeat(" ", ws[i]-ansi.StringWidth(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if c < len(t.Right) && t.Right[c] {
				b.WriteString(pad + cell)
			} else if i == len(cols)-1 {
				b.WriteString(cell)
			} else {
				b.WriteString(cell + pad)
			}
		}
		return common.Truncate(strings.TrimRight(b.String(), " "), w)
	}
	header = line(t.Header)
	for _, r := range t.Rows {
		rows = append(rows, line(r))
	}
	return header, rows
}
