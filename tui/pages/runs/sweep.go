package runs

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/slurm"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// sweepView is one saved sweep: its progress, each arm's mean curve with
// the band of its 95 % interval across seeds and folds, the statistics
// table and the verdict, as `reslab sweep show` gives them. It follows the
// runs folder, so a sweep trained elsewhere (another lab, the command
// line, a Slurm array) fills in as its runs write epochs.
type sweepView struct {
	sw     *experiments.Sweep
	metric string // val_acc or val_loss
	offset int
	// slurm is the latest Slurm job's tasks in a line, read when the view
	// opens and every slurmAskEvery after each answer.
	slurm string
	// rep is the statistics, computed in the background (they read every
	// finished run's predictions) when the view opens and when the runs
	// folder changes; nil until the first answer.
	rep *experiments.SweepReport
}

// sweepReportMsg is a sweep's statistics computed.
type sweepReportMsg struct {
	name string
	rep  experiments.SweepReport
}

// sweepReportCmd computes the sweep's statistics over the runs read.
func sweepReportCmd(sw *experiments.Sweep, all []*experiments.Run) tea.Cmd {
	return func() tea.Msg { return sweepReportMsg{name: sw.Name, rep: sw.Report(sw.Progress(all))} }
}

// sweepSlurmMsg is a sweep's Slurm tasks read back; the next ask follows
// slurmAskEvery later, one at a time, while the sweep stays open.
type sweepSlurmMsg struct{ name, line string }

// sweepSlurmAskMsg asks Slurm again.
type sweepSlurmAskMsg struct{ name string }

// slurmAskEvery is how often an open sweep asks Slurm for its tasks.
const slurmAskEvery = 10 * time.Second

// slurmStateCmd asks Slurm (squeue, sacct) for the sweep's latest job in
// the background; nil for a sweep never submitted.
func slurmStateCmd(sw *experiments.Sweep) tea.Cmd {
	n := len(sw.Slurm)
	if n == 0 {
		return nil
	}
	name, job := sw.Name, sw.Slurm[n-1].JobID
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		tasks, err := slurm.Default.Tasks(ctx, job)
		return sweepSlurmMsg{name: name, line: slurm.Line(job, tasks, err)}
	}
}

func (v *sweepView) key(msg tea.KeyMsg, s *Page) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.Next), key.Matches(msg, k.Prev):
		if v.metric == "val_acc" {
			v.metric = "val_loss"
		} else {
			v.metric = "val_acc"
		}
	case key.Matches(msg, k.Up):
		v.offset = max(v.offset-1, 0)
	case key.Matches(msg, k.Down):
		v.offset++
	case key.Matches(msg, k.PageUp):
		v.offset = max(v.offset-10, 0)
	case key.Matches(msg, k.PageDown):
		v.offset += 10
	case key.Matches(msg, k.Top):
		v.offset = 0
	case key.Matches(msg, k.Bottom):
		v.offset = math.MaxInt32
	}
	return nil
}

func (v *sweepView) view(c *common.Common, all []*experiments.Run, w, h int) string {
	st := c.Styles
	sw := v.sw
	states := sw.Progress(all)
	shape := fmt.Sprintf("%d arms × %d seeds", len(sw.Arms), sw.Seeds)
	if sw.Folds > 0 {
		shape += fmt.Sprintf(" × %d folds", sw.Folds)
	}
	title := st.Title.Render("sweep " + sw.Name)
	info := st.Subtle.Render(shape + " · " + experiments.Count(states).String())
	lines := []string{common.Spread(title, info, w)}
	if n := len(sw.Slurm); n > 0 {
		line := v.slurm
		if line == "" {
			line = fmt.Sprintf("slurm job %s: asking Slurm…", sw.Slurm[n-1].JobID)
		}
		lines = append(lines, st.Subtle.Render(common.Truncate(line, w)))
	}

	// The curves: each arm's mean, its interval's edges faint behind.
	cv := components.ChartView{Title: v.metric + " by epoch: mean of the arm's runs, its 95% interval faint"}
	for _, ac := range sw.Curves(states, v.metric) {
		mean, lo, hi := components.Curve{Label: ac.Arm}, components.Curve{}, components.Curve{}
		for i, e := range ac.Epochs {
			x := float64(e)
			mean.Points = append(mean.Points, components.Point{X: x, Y: ac.Mean[i]})
			if ac.Runs[i] > 1 {
				// A t interval over few runs can reach past what the metric can
				// be (below 0, an accuracy above 1); the band stops there, so
				// the plot keeps the curves' scale.
				l, u := math.Max(ac.Lo[i], 0), ac.Hi[i]
				if strings.Contains(v.metric, "acc") {
					u = math.Min(u, 1)
				}
				lo.Points = append(lo.Points, components.Point{X: x, Y: l})
				hi.Points = append(hi.Points, components.Point{X: x, Y: u})
			}
		}
		cv.Curves = append(cv.Curves, mean)
		cv.Bands = append(cv.Bands, lo, hi)
	}
	chartH := max(min(h/2, 16), 6)
	lines = append(lines, strings.Split(common.FitBlock(components.RenderChart(st, cv, w, chartH), w, chartH), "\n")...)

	if v.rep == nil {
		lines = append(lines, "", st.Subtle.Render("reading the runs' predictions…"))
		return strings.Join(lines, "\n")
	}
	rep := *v.rep
	header, rows := sw.SweepTable(rep)
	right := make([]bool, len(header))
	for i := 1; i < len(right); i++ {
		right[i] = true
	}
	drop := []int{len(header) - 1, len(header) - 2, 2} // time, loss, then the (optimistic) best accuracy
	t := components.Table{Header: header, Rows: rows, Right: right, Drop: drop, Flex: -1}
	hd, body := t.Lines(w)
	lines = append(lines, "", st.Header.Render(hd))
	lines = append(lines, body...)
	for _, cmp := range rep.Comparisons {
		lines = append(lines, strings.Split(common.Wrap("· "+cmp.Verdict, w, common.MessageLines), "\n")...)
	}
	lines = append(lines, strings.Split(st.Good.Render(common.Wrap("verdict: "+rep.Verdict, w, common.MessageLines)), "\n")...)
	for _, n := range rep.Notes {
		lines = append(lines, strings.Split(st.Subtle.Render(common.Wrap("note: "+n, w, 2)), "\n")...)
	}
	v.offset = min(v.offset, max(len(lines)-h, 0))
	lines = lines[v.offset:]
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}
