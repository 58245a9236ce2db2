package runs

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// runDetails is one run in full: settings, curves, epochs, confusion
// matrix and per-class accuracy.
type runDetails struct {
	run     *experiments.Run
	preds   []experiments.ImagePrediction
	predErr error
	offset  int
}

func (d *runDetails) key(msg tea.KeyMsg, s *Page) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.Up):
		d.offset = max(d.offset-1, 0)
	case key.Matches(msg, k.Down):
		d.offset++
	case key.Matches(msg, k.PageUp):
		d.offset = max(d.offset-(s.c.Height-4), 0)
	case key.Matches(msg, k.PageDown):
		d.offset += s.c.Height - 4
	case key.Matches(msg, k.Top):
		d.offset = 0
	case key.Matches(msg, k.Bottom):
		d.offset = math.MaxInt32 // the view stops at the last page
	case key.Matches(msg, k.Resume):
		return s.resume(d.run)
	case key.Matches(msg, k.ToPred):
		open := common.PredictOpenMsg{A: d.run.ID}
		if worst := experiments.WorstPredictions(d.preds, 1); len(worst) > 0 {
			open.Image = worst[0].Path
		}
		return tea.Sequence(func() tea.Msg { return open }, common.SwitchTo(common.PagePredict))
	}
	return nil
}

func (d *runDetails) view(c *common.Common, w, h int) string {
	st := c.Styles
	r := d.run
	sp := r.Meta.Spec
	var lines []string
	title := "run " + r.ID
	if sp.Name != "" {
		title = "run " + sp.Name + " · " + r.ID
	}
	lines = append(lines, common.Spread(st.Title.Render(title), st.Subtle.Render("esc back"), w))
	kv := func(pairs ...string) string {
		var parts []string
		for i := 0; i+1 < len(pairs); i += 2 {
			parts = append(parts, st.Label.Render(pairs[i])+" "+pairs[i+1])
		}
		return common.Pack(parts, "  ", w)
	}
	lines = append(lines,
		kv("status", string(r.Status.State), "epochs", fmt.Sprintf("%d/%d", len(r.Metrics), sp.Epochs), "best epoch", strconv.Itoa(r.Status.BestEpoch),
			"best acc (95% CI)", bestAccText(r), "time", common.Duration(r.Status.Seconds)),
		kv("network", fmt.Sprintf("%s w%d %dpx", sp.Arch, sp.Width, sp.Size), "head", sp.Head.String(), "pooling", string(sp.Pooling), "dropout", fmt.Sprint(sp.Dropout), "mode", string(sp.Mode), "params", fmt.Sprintf("%.2fM", float64(r.Meta.Params)/1e6)),
		kv("training", fmt.Sprintf("lr %g batch %d", sp.LR, sp.Batch), "monitor", sp.Monitor, "patience", strconv.Itoa(sp.Patience), "seed", strconv.FormatInt(sp.Seed, 10), "norm", sp.Norm.String()),
		kv("augment", fmt.Sprintf("rotation %g shear %g zoom %g flip %g", sp.Augment.Rotation, sp.Augment.Shear, sp.Augment.Zoom, sp.Augment.Flip),
			"data", fmt.Sprintf("%s (%d train, %d valid)", sp.DataLabel(), r.Meta.TrainImages, r.Meta.ValidImages)),
	)
	if sp.Weights != "" {
		lines = append(lines, kv("weights", sp.Weights))
	}
	if r.Status.Error != "" {
		lines = append(lines, st.Error.Render(common.Wrap("✗ "+r.Status.Error, w, common.MessageLines)))
	}
	for _, d := range r.Damage {
		lines = append(lines, st.Warn.Render(common.Wrap("! "+d, w, 2)))
	}
	lines = append(lines, "")
	if len(r.Metrics) > 0 {
		chartH := min(max(h/2, 8), 14)
		loss := components.ChartView{Title: "loss by epoch", Curves: []components.Curve{components.EpochCurve("train", r.Metrics, "train_loss", false), components.EpochCurve("validation", r.Metrics, "val_loss", false)}}
		acc := components.ChartView{Title: "accuracy by epoch", Curves: []components.Curve{components.EpochCurve("train", r.Metrics, "train_acc", false), components.EpochCurve("validation", r.Metrics, "val_acc", false)}}
		var charts string
		if w >= 72 {
			cw := (w - 2) / 2
			charts = lipgloss.JoinHorizontal(lipgloss.Top, common.PadLines(common.FitBlock(components.RenderChart(st, loss, cw, chartH), cw, chartH), cw+2), common.FitBlock(components.RenderChart(st, acc, cw, chartH), cw, chartH))
		} else {
			charts = common.FitBlock(components.RenderChart(st, loss, w, chartH), w, chartH) + "\n" + common.FitBlock(components.RenderChart(st, acc, w, chartH), w, chartH)
		}
		lines = append(lines, strings.Split(charts, "\n")...)
		lines = append(lines, "")
		all := experiments.EpochRows(r)
		t := components.Table{Header: all[0], Rows: all[1:], Right: []bool{false, true, true, true, true, true, true, true, true}, Drop: []int{5, 8, 7}, Flex: -1}
		hd, rows := t.Lines(w)
		lines = append(lines, st.Header.Render(hd))
		lines = append(lines, rows...)
		lines = append(lines, "")
	}
	switch {
	case d.predErr != nil:
		lines = append(lines, st.Subtle.Render(common.Wrap("confusion matrix: "+experiments.OneLine(d.predErr.Error()), w, 2)))
	case d.preds == nil:
		lines = append(lines, st.Subtle.Render("confusion matrix: reading predictions…"))
	default:
		k := len(r.Meta.Classes)
		conf := experiments.ConfusionMatrix(d.preds, k)
		correct := 0
		for i := range conf.Counts {
			correct += conf.Counts[i][i]
		}
		lines = append(lines, st.Header.Render(common.Wrap(fmt.Sprintf("confusion matrix at the best epoch (%d): %d of %d validation images right; acc is per-class accuracy", r.Status.BestEpoch, correct, len(d.preds)), w, 2)))
		rows := experiments.ConfusionRows(conf, r.Meta.ClassNames)
		right := make([]bool, len(rows[0]))
		for i := 1; i < len(right); i++ {
			right[i] = true
		}
		t := components.Table{Header: rows[0], Rows: rows[1:], Right: right, Flex: 0}
		hd, body := t.Lines(w)
		lines = append(lines, hd)
		lines = append(lines, body...)
		name := func(c int) string { return experiments.NewClassProb(c, 0, r.Meta.Classes, r.Meta.ClassNames).Label() }
		if pairs := conf.MostConfused(5); len(pairs) > 0 {
			lines = append(lines, "", st.Header.Render("most confused (true → predicted)"))
			for _, p := range pairs {
				lines = append(lines, common.Truncate(fmt.Sprintf("  %s → %s: %d images", name(p.True), name(p.Pred), p.Count), w))
			}
		}
		if worst := experiments.WorstPredictions(d.preds, 5); len(worst) > 0 {
			lines = append(lines, "", st.Header.Render("worst predicted (p opens predict at the first)"))
			for _, p := range worst {
				lines = append(lines, common.Truncate(fmt.Sprintf("  %s: %s, predicted %s (%.0f%%)", filepath.Base(p.Path), name(p.Label), name(p.Top[0]), 100*p.Probs[0]), w))
			}
		}
	}
	// Scroll by screen lines: wrapped blocks count each of theirs.
	lines = strings.Split(strings.Join(lines, "\n"), "\n")
	d.offset = min(d.offset, max(len(lines)-h, 0))
	lines = lines[d.offset:]
	if len(lines) > h && h > 1 {
		lines = append(lines[:h-1], st.Subtle.Render(fmt.Sprintf("↓ %d more lines (j, pgdn)", len(lines)-h+1)))
	}
	return strings.Join(lines, "\n")
}

// bestAccText is the run's best validation accuracy with its Wilson
// interval, "-" before any epoch.
func bestAccText(r *experiments.Run) string {
	acc, _, ok := r.BestValues()
	if !ok {
		return "-"
	}
	return experiments.FormatInterval(acc, r.Meta.ValidImages)
}
