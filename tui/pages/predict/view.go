package predict

import (
	"fmt"
	"image"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

func (s *Page) Help() common.Bindings {
	k := s.keys
	switch {
	case s.typing:
		return common.Bindings{Short: []key.Binding{common.Hint("enter", "classify"), common.Hint("esc", "cancel")}}
	case s.choosing != 0:
		cancel := key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc/q", "cancel"))
		return common.Bindings{Short: []key.Binding{k.Up, k.Down, k.Top, k.Bottom, common.Hint("enter", "choose"), cancel},
			Full: [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {common.Hint("enter", "choose"), cancel}}}
	}
	next := key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("←/→", "image"))
	return common.Bindings{
		Short: []key.Binding{next, k.NextDiff, k.RunA, k.RunB, k.Split, k.Path},
		Full:  [][]key.Binding{{next, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.NextDiff, k.PrevDiff}, {k.RunA, k.RunB, k.Split, k.Path}},
	}
}

func (s *Page) render(w, h int) string {
	st := s.c.Styles
	if s.choosing != 0 {
		return s.chooserView(w, h)
	}
	if s.a == nil && !s.loading {
		msg := "No run chosen. Press a to choose one (b adds a second run beside it),\nor pick a run on the runs screen (3) and press p."
		return "\n" + st.Subtle.Render(msg)
	}
	if s.loading {
		return "loading the runs' predictions…"
	}
	if s.testBusy {
		return "classifying the test split with each run's best weights…"
	}
	var top []string
	if s.err != nil {
		top = append(top, st.Error.Render(common.Wrap(experiments.OneLine(s.err.Error()), w, common.MessageLines)))
	}
	if s.typing {
		top = append(top, common.Truncate(s.path.View(), w))
	}
	// What is shown: a typed file, or validation image i.
	var img *image.NRGBA
	var imgErr error
	var trueName string
	var topA, topB []experiments.ClassProb
	var errA, errB error
	twoRuns := s.b != nil && s.b.run != nil
	switch {
	case s.live != nil:
		l := s.live
		title := fmt.Sprintf("file %s", l.path)
		if l.busy {
			title += " · classifying…"
		}
		top = append(top, st.Title.Render(common.Truncate(title, w)))
		img, imgErr, trueName = l.img, l.imgErr, l.trueName
		topA, topB, errA, errB = l.a, l.b, l.aErr, l.bErr
	case len(s.items) == 0 && s.test:
		return strings.Join(append(top, "the test split has no images (t: back to the validation images)"), "\n")
	case len(s.items) == 0:
		return strings.Join(append(top, "this run has no saved validation predictions yet (they are written at its best epoch)"), "\n")
	default:
		p := s.items[s.index]
		names := s.a.run.Meta.ClassNames
		trueName = className(names, p.Label)
		img, imgErr = s.images[p.Path], s.imgErr[p.Path]
		topA = classProbs(p, s.a.run)
		if twoRuns {
			if j, ok := s.b.byPath[p.Path]; ok {
				topB = classProbs(s.b.preds[j], s.b.run)
			} else {
				errB = fmt.Errorf("run %s has no prediction for this image", experiments.ShortID(s.b.run.ID))
			}
		}
		left := st.Title.Render(fmt.Sprintf("image %d/%d", s.index+1, len(s.items))) + " " + st.Subtle.Render(p.Path)
		what := "wrong"
		if twoRuns {
			what = "disagree"
		}
		source := "valid · best epoch"
		if s.test {
			source = "test · best weights"
		}
		right := st.Subtle.Render(fmt.Sprintf("%d %s · %s", s.disagreements(), what, source))
		top = append(top, common.Spread(left, right, w))
	}
	top = append(top, "true class: "+st.Value.Render(orDash(trueName)))
	bodyH := max(h-common.Height(top)-1, 3)

	// Panes of bars.
	paneW := min(max((w-4)/3, 34), 48)
	paneA := s.pane("A", s.a.run, topA, errA, trueName, paneW)
	var paneB string
	if twoRuns {
		paneB = s.pane("B", s.b.run, topB, errB, trueName, paneW)
	}
	sideBySide := twoRuns && w >= 2*paneW+4+min(w/3, 2*bodyH)
	panesW := paneW
	if sideBySide {
		panesW = 2*paneW + 2
	}
	imgW := max(w-panesW-3, 8)
	var imgLines []string
	switch {
	case imgErr != nil:
		imgLines = strings.Split(st.Error.Render(common.Wrap("image: "+experiments.OneLine(imgErr.Error()), imgW, common.MessageLines)), "\n")
	case img == nil:
		imgLines = []string{st.Subtle.Render("drawing…")}
	default:
		cols, rows := components.ImageSize(img, imgW, bodyH)
		imgLines = components.RenderImage(img, cols, rows, st.Renderer.ColorProfile())
	}
	imgBlock := common.PadLines(strings.Join(imgLines, "\n"), lipgloss.Width(strings.Join(imgLines, "\n"))+3)
	var panes string
	switch {
	case !twoRuns:
		panes = paneA + "\n\n" + st.Subtle.Render("b: a second run beside it")
	case sideBySide:
		panes = lipgloss.JoinHorizontal(lipgloss.Top, common.PadLines(paneA, paneW+2), paneB)
	default:
		panes = paneA + "\n\n" + paneB
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, imgBlock, panes)
	return strings.Join(top, "\n") + "\n\n" + body
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func className(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return fmt.Sprint(c)
}

func classProbs(p experiments.ImagePrediction, run *experiments.Run) []experiments.ClassProb {
	out := make([]experiments.ClassProb, len(p.Top))
	for i, c := range p.Top {
		out[i] = experiments.NewClassProb(c, p.Probs[i], run.Meta.Classes, run.Meta.ClassNames)
	}
	return out
}

// pane is one run's top-5 as bars.
func (s *Page) pane(tag string, r *experiments.Run, top []experiments.ClassProb, err error, trueName string, w int) string {
	st := s.c.Styles
	head := st.Value.Render(tag+" ") + common.Truncate(common.RunLabel(r), w-2)
	lines := []string{head}
	switch {
	case err != nil:
		// A narrow pane: room for a long path's error in full.
		lines = append(lines, st.Error.Render(common.Wrap(experiments.OneLine(err.Error()), w, 3*common.MessageLines)))
		return strings.Join(lines, "\n")
	case top == nil:
		lines = append(lines, st.Subtle.Render("…"))
		return strings.Join(lines, "\n")
	}
	verdict := st.Good.Render("✓ right: " + top[0].Display())
	if trueName == "" {
		verdict = "→ " + top[0].Display()
	} else if top[0].Display() != trueName {
		verdict = st.Error.Render("✗ wrong: " + top[0].Display())
	}
	lines = append(lines, common.Truncate(verdict, w))
	nameW := 12
	for _, n := range top {
		nameW = min(max(nameW, len(n.Display())), 16)
	}
	barW := max(w-nameW-10, 4)
	for _, c := range top {
		mark := " "
		if c.Display() == trueName {
			mark = "*"
		}
		line := fmt.Sprintf("%s%s %s %5.1f%%", mark, common.PadRight(common.Truncate(c.Display(), nameW), nameW), common.Bar(st, c.Prob, barW), 100*c.Prob)
		lines = append(lines, line)
	}
	lines = append(lines, st.Subtle.Render("* true class"))
	return strings.Join(lines, "\n")
}

func (s *Page) chooserView(w, h int) string {
	st := s.c.Styles
	which := "run A"
	if s.choosing == 2 {
		which = "run B (shown beside A)"
	}
	lines := []string{st.Title.Render("choose " + which)}
	ids := s.choices()
	if len(ids) == 0 {
		return strings.Join(append(lines, "no runs with predictions yet: train one first"), "\n")
	}
	byID := map[string]*experiments.Run{}
	for _, r := range s.runs {
		byID[r.ID] = r
	}
	nameW := 0
	for _, id := range ids {
		nameW = max(nameW, min(ansi.StringWidth(byID[id].Meta.Spec.Name), 24))
	}
	avail := max(h-2, 1)
	first := max(0, s.chooserPos-avail+1)
	for i := first; i < len(ids) && i < first+avail; i++ {
		r := byID[ids[i]]
		best := "-"
		if r.Status.Best != nil {
			best = common.Pct(r.Status.Best.ValAcc)
		}
		name := ""
		if nameW > 0 {
			name = "  " + common.PadRight(common.Truncate(r.Meta.Spec.Name, nameW), nameW)
		}
		line := fmt.Sprintf("  %s%s  %s  val acc %s  %s  %s", r.ID, name, fmt.Sprintf("%s w%d %dpx", r.Meta.Spec.Arch, r.Meta.Spec.Width, r.Meta.Spec.Size), best, r.Status.State, r.Meta.Spec.DataLabel())
		if i == s.chooserPos {
			line = st.Selected.Render("› " + line[2:])
		}
		lines = append(lines, common.Truncate(line, w))
	}
	return strings.Join(lines, "\n")
}

// SetSize sets the page's size in cells.
func (s *Page) SetSize(w, h int) { s.width, s.height = w, h }

// View draws the page at its size.
func (s *Page) View() string { return s.render(s.width, s.height) }
