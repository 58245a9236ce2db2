package setup

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/tui/common"
)

func (s *Page) Help() common.Bindings {
	k := s.keys
	f := s.focused()
	short := []key.Binding{k.Start, common.Hint("↑/↓/tab", "field"), k.FindLR}
	if s.lrFound != nil {
		short = append(short, common.Hint("esc", "close the curve"))
	}
	if f.kind == choiceField {
		short = append(short, k.Cycle)
	} else {
		short = append(short, k.Clear)
	}
	return common.Bindings{Short: short, Full: [][]key.Binding{{k.Start, k.Next, k.Prev, k.Up, k.Down},
		{common.Hint("pgup/pgdn", "10 fields"), common.Hint("ctrl+home/ctrl+end", "first/last field"), k.Cycle, k.Clear, k.FindLR}}}
}

func (s *Page) render(w, h int) string {
	st := s.c.Styles
	est := s.estimateLines(w)
	wide := w >= 110
	if l := s.lrLines(w, wide); len(l) > 0 {
		est = append(est, l...)
	}
	fieldW := w
	if wide {
		// The form's column, wider when a field's error would not fit on
		// its row, leaving the estimates box 50 cells.
		fieldW = min(72, w/2+10)
		for _, f := range s.fields {
			if need := rowPrefixW + ansi.StringWidth("✗ "+f.err); f.err != "" && need <= w-50 {
				fieldW = max(fieldW, need) // else the row points below
			}
		}
	}
	// The focused field's hint or full error, and what enter does.
	f := s.focused()
	var foot []string
	if f.err != "" {
		foot = append(foot, st.Error.Render(common.Wrap("✗ "+f.label+": "+f.err, fieldW, common.MessageLines)))
	} else {
		foot = append(foot, st.Subtle.Render(common.Wrap(f.label+": "+f.hint, fieldW, common.MessageLines)))
	}
	// Every other field's error in full: the row beside the field may
	// have had to cut it.
	for _, g := range s.fields {
		if g != f && g.err != "" {
			foot = append(foot, st.Error.Render(common.Wrap("✗ "+g.label+": "+g.err, fieldW, 2)))
		}
	}
	for _, o := range s.other {
		foot = append(foot, st.Error.Render(common.Wrap("✗ "+o, fieldW, common.MessageLines)))
	}
	if s.byID["mode"].value() == string(resnet.ModeFrozen) && s.byID["weights"].value() == "" {
		foot = append(foot, st.Warn.Render(common.Wrap("! a frozen backbone with random weights: only the head learns; set a weights file (a pretrained run's best.safetensors)", fieldW, 2)))
	}
	foot = append(foot, s.enterLine(fieldW))
	listH := h - common.Height(foot)
	if !wide {
		listH -= len(est) + 1
	}
	listH = max(listH, 3)
	// Scroll so the focused field shows: the first window in which it is
	// neither hidden nor under the "↑ more" or "↓ more" marker.
	first := 0
	if n := len(s.fields); n > listH {
		for ; ; first++ {
			lo, hi := first, first+listH
			if first > 0 {
				lo++
			}
			if hi < n {
				hi--
			}
			if (s.focus >= lo && s.focus < hi) || first >= n-listH {
				break
			}
		}
	}
	var rows []string
	for i := first; i < len(s.fields) && len(rows) < listH; i++ {
		rows = append(rows, s.fieldRow(s.fields[i], i == s.focus, fieldW))
	}
	if first > 0 {
		rows[0] = st.Subtle.Render(common.PadRight("  ↑ more", fieldW))
	}
	if first+listH < len(s.fields) && len(rows) == listH {
		rows[len(rows)-1] = st.Subtle.Render("  ↓ more")
	}
	left := strings.Join(append(rows, foot...), "\n")
	if wide {
		box := st.Box.Width(w - fieldW - 6).Render(strings.Join(est, "\n"))
		return lipgloss.JoinHorizontal(lipgloss.Top, common.PadLines(left, fieldW+2), box)
	}
	return strings.Join(est, "\n") + "\n" + st.Subtle.Render(strings.Repeat("─", w)) + "\n" + left
}

func (s *Page) fieldRow(f *field, focused bool, w int) string {
	st := s.c.Styles
	marker := "  "
	label := common.PadRight(f.label, 15)
	if focused {
		marker = st.Selected.Render("› ")
		label = st.Selected.Render(label)
	} else {
		label = st.Label.Render(label)
	}
	var value string
	valW := 22
	switch {
	case f.kind == choiceField:
		if all, ok := s.choiceRow(f, focused, w-2-15); ok {
			return marker + label + all
		}
		value = f.value()
		if focused {
			value = "‹ " + value + " ›"
		}
	case focused:
		f.input.Width = valW
		value = f.input.View()
	default:
		value = f.value()
		if value == "" {
			value = st.Subtle.Render(f.empty)
		}
	}
	line := marker + label + common.PadRight(common.Truncate(value, valW+2), valW+3)
	if f.err != "" {
		// The whole error where it fits; else a pointer to it in full
		// under the form, never a cut one.
		mark := "✗ " + f.err
		if rowPrefixW+ansi.StringWidth(mark) > w {
			mark = "✗ see below"
		}
		line += st.Error.Render(mark)
	}
	return common.Truncate(line, w)
}

// rowPrefixW is the cells of a field row before its error: the marker,
// the label and the value.
const rowPrefixW = 2 + 15 + 22 + 3

// choiceRow shows every choice of a choice field, the chosen one in
// brackets, so a newcomer sees the options without visiting the field; ok
// is false when they do not fit in w cells.
func (s *Page) choiceRow(f *field, focused bool, w int) (string, bool) {
	st := s.c.Styles
	var parts []string
	width := 0
	for i, c := range f.choices {
		text := c
		if i == f.choice {
			text = "[" + c + "]"
		}
		width += len([]rune(text)) + 1
		switch {
		case i == f.choice && focused:
			text = st.Selected.Render(text)
		case i == f.choice:
			text = st.Value.Render(text)
		default:
			text = st.Subtle.Render(text)
		}
		parts = append(parts, text)
	}
	if f.err != "" || width-1 > w {
		return "", false
	}
	return strings.Join(parts, " "), true
}

func (s *Page) enterLine(w int) string {
	st := s.c.Styles
	if !s.valid() {
		return st.Error.Render(common.Truncate("enter: fix the marked settings first", w))
	}
	sp := s.spec()
	plan, _ := s.sweepPlan()
	if len(plan.depths) == 1 {
		sp.Arch = plan.depths[0]
	}
	what := fmt.Sprintf("train %s for %d epochs on %s", sp.Arch, sp.Epochs, sp.DataLabel())
	if plan.sweep() {
		names := []string{sp.Arch.Short()}
		if len(plan.depths) > 1 {
			names = names[:0]
			for _, d := range plan.depths {
				names = append(names, d.Short())
			}
		}
		repeats := ""
		if plan.seeds > 1 {
			repeats += fmt.Sprintf(" × %d seeds", plan.seeds)
		}
		if plan.folds > 0 {
			repeats += fmt.Sprintf(" × %d folds", plan.folds)
		}
		if repeats != "" {
			repeats += fmt.Sprintf(" (%d runs)", plan.runs())
		}
		what = fmt.Sprintf("sweep %s%s, one after another, %d epochs each", strings.Join(names, ", "), repeats, sp.Epochs)
	}
	if s.c.TrainingID != "" {
		what = "queue: " + what + ", after the run in progress"
	}
	return st.Good.Render(common.Truncate("enter: "+what, w))
}

// lrLines are the learning-rate search's state: running, or its curve and
// suggestion.
func (s *Page) lrLines(w int, wide bool) []string {
	st := s.c.Styles
	switch {
	case s.lrFinding:
		return []string{st.Warn.Render(common.Truncate("lr search: sweeping the rate over 200 batches on a throwaway model…", w))}
	case s.lrFound == nil:
		return nil
	}
	cw := w
	if wide {
		cw = w - min(72, w/2+10) - 8 // the estimate box's inside
	}
	res := *s.lrFound
	lines := strings.Split(strings.TrimRight(experiments.LRFindChart(res, max(cw-10, 20), 6), "\n"), "\n")
	say := "no suggestion: " + res.Method
	if res.Suggested > 0 {
		say = fmt.Sprintf("suggested %.2g (%s), now in the learning-rate field · esc closes", res.Suggested, res.Method)
	}
	for i := range lines {
		lines[i] = common.Truncate(lines[i], cw)
	}
	return append(lines, st.Good.Render(common.Wrap(say, cw, 2)))
}

// estimateLines is the network, memory, speed and data summary.
func (s *Page) estimateLines(w int) []string {
	st := s.c.Styles
	e := s.est
	lw := 9
	row := func(label, text string) string {
		return common.Truncate(st.Label.Render(common.PadRight(label, lw))+text, w)
	}
	var out []string
	if e.err != "" {
		out = append(out, row("network", st.Error.Render(e.err)))
	} else {
		out = append(out, row("network", fmt.Sprintf("%s · %.2f M parameters · %d classes", e.arch, float64(e.Params)/1e6, e.classes)))
		mem := fmt.Sprintf("≈ %s peak (%s a step)", common.GB(e.RunBytes), common.GB(e.PeakBytes))
		if e.MicroBatch < e.Batch {
			mem += fmt.Sprintf(", batch %d as micro-batches of %d", e.Batch, e.MicroBatch)
		}
		mem += fmt.Sprintf(" (budget %s)", common.GB(e.Budget))
		if !e.Fits {
			mem = st.Error.Render(fmt.Sprintf("≈ %s for one image: over the %s budget; lower size or width", common.GB(e.PeakBytes), common.GB(e.Budget)))
		}
		out = append(out, row("memory", mem))
		speed := st.Subtle.Render("unknown until a run is measured on this machine")
		if !math.IsNaN(e.SecPerEpoch) {
			speed = fmt.Sprintf("≈ %s/epoch, %s for %d epochs · %s", common.Duration(e.SecPerEpoch), common.Duration(e.SecPerEpoch*float64(e.epochs)), e.epochs, e.Basis)
			switch {
			case e.budget > 0:
				speed = fmt.Sprintf("≈ %s/epoch · budget %s ≈ %d epochs · %s", common.Duration(e.SecPerEpoch), common.Duration(e.budget),
					min(int(e.budget/e.SecPerEpoch), e.epochs), e.Basis)
			case e.sweep > 0 && !math.IsNaN(e.sweepSeconds):
				speed = fmt.Sprintf("≈ %s for the sweep of %d runs (%s/epoch for %s) · %s", common.Duration(e.sweepSeconds), e.sweep,
					common.Duration(e.SecPerEpoch), e.arch.Short(), e.Basis)
			case e.sweep > 0 || e.epochs < 1:
				speed = fmt.Sprintf("≈ %s/epoch · %s", common.Duration(e.SecPerEpoch), e.Basis)
			}
		}
		out = append(out, row("time", speed))
	}
	d := s.data
	var data string
	switch {
	case d.checking && !d.checked:
		data = "reading…"
	case d.err != nil:
		data = st.Error.Render(experiments.OneLine(d.err.Error()))
	case d.checked:
		data = fmt.Sprintf("%s: %d classes, %d train and %d validation images", experiments.Spec{Data: d.path}.DataLabel(), d.classes, d.train, d.valid)
	}
	out = append(out, row("data", data))
	return out
}

// estimate is what the form shows about its settings' cost.
type estimate struct {
	experiments.Estimate
	err     string // why there is no estimate
	arch    resnet.Arch
	classes int
	epochs  int
	budget  float64 // seconds; 0 for none
	sweep   int
	// sweepSeconds is the whole sweep's predicted time, each depth priced
	// at its own estimate (NaN when one has none).
	sweepSeconds float64
}

func (s *Page) estimate(sp experiments.Spec) estimate {
	in := experiments.EstimateInput{Classes: 10, Budget: s.budget, Runs: s.runs}
	if d := s.data; d.checked && d.err == nil {
		if d.classes >= 2 {
			in.Classes = d.classes
		}
		in.TrainImages, in.ValidImages = d.train, d.valid
	}
	e := estimate{arch: sp.Arch, classes: in.Classes, epochs: sp.Epochs, budget: sp.BudgetSeconds}
	est, err := experiments.EstimateSpec(sp, in)
	if err != nil {
		e.err = "fix the network settings to see estimates"
		return e
	}
	e.Estimate = est
	if plan, _ := s.sweepPlan(); plan.sweep() {
		e.sweep = plan.runs()
		depths := plan.depths
		if len(depths) == 0 {
			depths = []resnet.Arch{sp.Arch}
		}
		repeats := float64(plan.runs() / len(depths))
		for _, d := range depths {
			one := sp
			one.Arch = d
			de, err := experiments.EstimateSpec(one, in)
			if err != nil {
				e.sweepSeconds = math.NaN()
				break
			}
			e.sweepSeconds += de.SecPerEpoch * float64(sp.Epochs) * repeats
		}
	}
	return e
}

// SetSize sets the page's size in cells.
func (s *Page) SetSize(w, h int) { s.width, s.height = w, h }

// View draws the page at its size.
func (s *Page) View() string { return s.render(s.width, s.height) }
