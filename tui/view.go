package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// View implements tea.Model.
func (m *Model) View() string {
	w, h := m.c.Width, m.c.Height
	st := m.c.Styles
	tabs := m.tabBar(w)
	keys := m.helpKeys()
	helpView := components.WrappedHelp(m.help, keys.Short, keys.Full, m.help.ShowAll, w)
	var footer []string
	if m.confirmQuit {
		footer = append(footer, st.Warn.Render(common.Wrap("a run is training: q again stops it (saving a resumable checkpoint) and quits; any other key keeps it", w, common.MessageLines)))
	} else if m.quitting {
		footer = append(footer, st.Warn.Render(common.Wrap("stopping the run and saving a resumable checkpoint before quitting… (ctrl+c again quits at once, losing the epoch in progress)", w, common.MessageLines)))
	} else if m.flash != "" {
		style := st.Good
		if m.flashErr {
			style = st.Error
		}
		footer = append(footer, style.Render(common.Wrap(m.flash, w, common.MessageLines)))
	}
	footer = append(footer, helpView)
	foot := strings.Join(footer, "\n")
	bodyH := max(h-1-lipgloss.Height(foot), 1)
	pg := m.pages[m.active]
	pg.SetSize(w, bodyH)
	body := pg.View()
	body = common.FitBlock(body, w, bodyH)
	return tabs + "\n" + body + "\n" + foot
}

func (m *Model) tabBar(w int) string {
	st := m.c.Styles
	parts := []string{st.Title.Render("reslab")}
	for i, name := range common.PageNames {
		label := fmt.Sprintf("%d %s", i+1, name)
		if common.PageID(i) == m.active {
			parts = append(parts, st.TabActive.Render("["+label+"]"))
		} else {
			parts = append(parts, st.Tab.Render(" "+label+" "))
		}
	}
	left := strings.Join(parts, " ")
	right := ""
	if t := m.training; t != nil {
		right = st.Warn.Render("● " + m.run.TabStatus())
	}
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		if right != "" && w-lipgloss.Width(left) > 8 {
			right = st.Warn.Render(common.Truncate("● "+m.run.TabStatus(), w-lipgloss.Width(left)-1))
			gap = w - lipgloss.Width(left) - lipgloss.Width(right)
		}
		if gap < 1 {
			return common.Truncate(left, w)
		}
	}
	return left + strings.Repeat(" ", gap) + right
}
