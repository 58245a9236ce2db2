package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/internal/sysmem"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// Page is the live dashboard of the run in progress (or the last one):
// progress, throughput, ETA, loss and accuracy charts, the epoch table, the
// learning rate, early-stopping patience and status.
type Page struct {
	c             *common.Common
	keys          KeyMap
	width, height int
	// queue is the training's queue (a sweep's runs), read for the note.
	queue *experiments.Queue
	// live is set from the training's start until its events close;
	// stopping once the root was asked to stop it.
	live, stopping bool

	id      string
	spec    experiments.Spec
	meta    experiments.RunMeta
	notes   []string
	hist    []train.EpochMetrics
	step    *train.StepEvent
	status  experiments.State
	err     error
	resumed bool
	// best checkpoint epoch as the training loop reported it
	bestEpoch int
	none      bool // nothing trained yet in this lab

	smooth, log, timeAxis bool

	// The system line: each core's use over the last interval and the
	// process's memory, sampled every sysInterval while a run trains.
	cpu      sysmem.CPUTimes
	coreUse  []float64
	rss      int64
	sysTicks bool // a sampling tick is pending
}

// sysInterval is how often the system line is sampled.
const sysInterval = 2 * time.Second

// sysTickMsg asks the page to sample the system line.
type sysTickMsg struct{}

func (sysTickMsg) Page() common.PageID { return common.PageRun }

// runHistoryMsg is a resumed run's earlier epochs.
type runHistoryMsg struct {
	id      string
	metrics []train.EpochMetrics
	best    int
}

func New(c *common.Common) *Page { return &Page{c: c, keys: DefaultKeyMap(c.Keys), none: true} }

// Starting shows a training about to start: spec (empty when resuming a
// run not read yet) from queue.
func (r *Page) Starting(spec experiments.Spec, resumed bool, queue *experiments.Queue) {
	*r = Page{c: r.c, keys: r.keys, queue: queue, spec: spec, status: experiments.StateQueued, resumed: resumed,
		smooth: r.smooth, log: r.log, timeAxis: r.timeAxis, live: true, width: r.width, height: r.height,
		cpu: r.cpu, sysTicks: r.sysTicks}
}

// Stopping shows that the run was asked to stop.
func (r *Page) Stopping() { r.stopping = true }

// FailedToStart shows why the run did not start.
func (r *Page) FailedToStart(err error) {
	r.live = false
	r.status = experiments.StateFailed
	r.err = err
}

// Started follows the session that started.
func (r *Page) Started(sess *experiments.Session, resumed bool) tea.Cmd {
	r.id, r.meta, r.spec, r.notes = sess.ID, sess.Meta, sess.Meta.Spec, sess.Notes
	r.status = experiments.StateRunning
	r.resumed = resumed
	tick := r.sampleSoon()
	if !resumed {
		return tick
	}
	store, id := r.c.Store, sess.ID
	return tea.Batch(tick, func() tea.Msg {
		run, err := store.Load(id)
		if err != nil {
			return nil
		}
		return runHistoryMsg{id: id, metrics: run.Metrics, best: run.Status.BestEpoch}
	})
}

// sampleSoon schedules the next system-line sample, unless one is pending.
func (r *Page) sampleSoon() tea.Cmd {
	if r.sysTicks {
		return nil
	}
	r.sysTicks = true
	if r.cpu.Cores() == 0 {
		r.cpu = sysmem.ReadCPU()
	}
	return tea.Tick(sysInterval, func(time.Time) tea.Msg { return sysTickMsg{} })
}

// Event shows one training event.
func (r *Page) Event(ev train.Event) tea.Cmd {
	switch ev := ev.(type) {
	case train.StepEvent:
		r.step = &ev
	case train.EpochEvent:
		r.hist = append(r.hist, ev.Metrics)
		if ev.Epochs > 0 {
			r.spec.Epochs = ev.Epochs // a time budget's plan
		}
		r.step = nil
	case train.CheckpointEvent:
		if ev.Kind == "best" {
			r.bestEpoch = ev.Epoch
		}
	case train.DoneEvent:
		r.status = experiments.State(ev.Status)
		if ev.Err != nil && !errors.Is(ev.Err, context.Canceled) {
			r.err = ev.Err
		}
		if len(ev.History) > len(r.hist) {
			r.hist = append([]train.EpochMetrics(nil), ev.History...)
		}
		if ev.Best.BestEpoch > 0 {
			r.bestEpoch = ev.Best.BestEpoch
		}
	}
	return nil
}

// Closed is called when the run's events end.
func (r *Page) Closed() tea.Cmd {
	r.live = false
	if r.status == experiments.StateRunning {
		r.status = experiments.StateInterrupted
	}
	r.step = nil
	return nil
}

func (r *Page) running() bool { return r.live }

// Status is how the run shown stands.
func (r *Page) Status() experiments.State { return r.status }

func (r *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case sysTickMsg:
		r.sysTicks = false
		now := sysmem.ReadCPU()
		r.coreUse, r.cpu, r.rss = sysmem.CoreUse(r.cpu, now), now, sysmem.RSS()
		if r.running() {
			return r.sampleSoon()
		}
		return nil
	case runHistoryMsg:
		if msg.id == r.id && len(msg.metrics) > len(r.hist) {
			// Earlier sessions' epochs, then those of this session.
			var hist []train.EpochMetrics
			hist = append(hist, msg.metrics...)
			for _, m := range r.hist {
				if m.Epoch > len(msg.metrics) {
					hist = append(hist, m)
				}
			}
			r.hist = hist
			if r.bestEpoch == 0 {
				r.bestEpoch = msg.best
			}
		}
	case tea.KeyMsg:
		k := r.keys
		switch {
		case key.Matches(msg, k.Stop):
			return r.stop()
		case key.Matches(msg, k.Smooth):
			r.smooth = !r.smooth
		case key.Matches(msg, k.Log):
			r.log = !r.log
		case key.Matches(msg, k.XAxis):
			r.timeAxis = !r.timeAxis
		}
	}
	return nil
}

// stop asks the root to stop the run: the training loop stops between
// batches, saves a resumable checkpoint, and the run's status becomes
// stopped.
func (r *Page) stop() tea.Cmd {
	if !r.running() || r.stopping {
		return nil
	}
	return common.Send(common.StopMsg{})
}

func (r *Page) Captures(tea.KeyMsg) bool { return false }
func (r *Page) Back() bool               { return false }

func (r *Page) Help() common.Bindings {
	k := r.keys
	short := []key.Binding{k.Smooth, k.Log, k.XAxis}
	if r.running() {
		short = append([]key.Binding{k.Stop}, short...)
	}
	return common.Bindings{Short: short, Full: [][]key.Binding{short}} // s only while a run trains
}

// TabStatus is the run's state in a few words, for the tab bar.
func (r *Page) TabStatus() string {
	switch {
	case r.stopping:
		return "stopping " + r.spec.Arch.Short()
	case r.id == "":
		return "starting"
	case r.step != nil:
		return fmt.Sprintf("training %s %d/%d %.0f%%", r.spec.Arch.Short(), r.step.Epoch, r.step.Epochs,
			100*float64(r.step.Step)/float64(max(r.step.Steps, 1)))
	}
	return fmt.Sprintf("training %s %d/%d", r.spec.Arch.Short(), len(r.hist), r.spec.Epochs)
}

// monitor replays the run's monitored metric: best value and epoch, and
// epochs since it last improved (early stopping's wait).
func (r *Page) monitor() (best float64, bestEpoch, wait int) {
	metric := r.spec.Monitor
	if metric == "" {
		metric = "val_loss"
	}
	m := train.Replay(r.hist, metric, r.spec.MinDelta)
	return m.Best, m.BestEpoch, m.Wait
}

// eta estimates the seconds left in this epoch and in the whole run.
func (r *Page) eta() (epochLeft, runLeft float64, ok bool) {
	if r.step == nil {
		return 0, 0, false
	}
	return train.ETA(*r.step, r.hist, r.meta.TrainImages, r.meta.ValidImages)
}

func (r *Page) render(w, h int) string {
	st := r.c.Styles
	if r.none {
		return "\n" + st.Subtle.Render("No run in this lab yet.") + "\n\n" +
			"  1  set one up and press enter to train\n" +
			"  3  pick a saved run: r resumes it, enter shows it\n"
	}
	var top []string
	// Header: what the run is, and its status.
	what := fmt.Sprintf("%s w%d %dpx %s", r.spec.Arch, r.spec.Width, r.spec.Size, r.spec.Mode)
	if !r.spec.Arch.Valid() {
		what = "resuming"
	}
	name := r.id
	if name == "" {
		name = "(starting)"
	}
	if w < 100 {
		name = experiments.ShortID(name)
	}
	status := r.statusBadge()
	if r.spec.Name != "" {
		name = r.spec.Name + " " + name
	}
	head := st.Title.Render("run "+name) + " " + st.Subtle.Render("· "+what+" · "+r.spec.DataLabel())
	top = append(top, common.Spread(head, status, w))
	top = append(top, r.progressLine(w))
	top = append(top, r.infoLine(w))
	if l := r.systemLine(); l != "" && r.running() {
		top = append(top, st.Subtle.Render(common.Truncate(l, w)))
	}
	if l := r.noteLine(); l != "" {
		top = append(top, common.Truncate(st.Subtle.Render(l), w))
	}
	if r.err != nil {
		top = append(top, st.Error.Render(common.Wrap("✗ "+experiments.OneLine(r.err.Error()), w, common.MessageLines)))
	}
	header := strings.Join(top, "\n")
	rest := h - lipgloss.Height(header) - 1

	// The epoch table under the charts.
	var tableLines []string
	if len(r.hist) > 0 && rest >= 10 {
		rows := min(len(r.hist), max((rest-8)/2, 1), 8)
		run := &experiments.Run{Metrics: r.hist[len(r.hist)-rows:], Status: experiments.RunStatus{BestEpoch: r.bestEpoch}}
		all := experiments.EpochRows(run)
		t := components.Table{Header: all[0], Rows: all[1:], Right: []bool{false, true, true, true, true, true, true, true, true},
			Drop: []int{5, 8, 7}, Flex: -1}
		hd, lines := t.Lines(w)
		tableLines = append([]string{st.Header.Render(hd)}, lines...)
	}
	chartH := rest - len(tableLines)
	if len(tableLines) > 0 {
		chartH--
	}
	charts := r.charts(w, chartH)
	parts := []string{header, "", charts}
	if len(tableLines) > 0 {
		parts = append(parts, "", strings.Join(tableLines, "\n"))
	}
	return strings.Join(parts, "\n")
}

func (r *Page) statusBadge() string {
	st := r.c.Styles
	switch {
	case r.stopping && r.running():
		return st.Warn.Render("◌ stopping")
	case r.status == experiments.StateQueued:
		return st.Warn.Render("◌ starting")
	case r.status == experiments.StateRunning:
		return st.Good.Render("● running")
	case r.status == experiments.StateCompleted, r.status == experiments.StateEarlyStopped:
		return st.Good.Render("✓ " + string(r.status))
	case r.status == experiments.StateStopped, r.status == experiments.StateInterrupted:
		return st.Warn.Render("■ " + string(r.status) + " (resumable)")
	}
	return st.Error.Render("✗ " + string(r.status))
}

func (r *Page) progressLine(w int) string {
	st := r.c.Styles
	switch {
	case r.status == experiments.StateQueued && r.resumed:
		return "resuming: loading the checkpoint and the data…"
	case r.status == experiments.StateQueued:
		return fmt.Sprintf("starting: opening %s and building %s…", r.spec.DataLabel(), r.spec.Arch)
	case r.step != nil:
		s := r.step
		frac := float64(s.Step) / float64(max(s.Steps, 1))
		left := fmt.Sprintf("epoch %d/%d ", s.Epoch, s.Epochs)
		right := fmt.Sprintf(" %d/%d · %.0f img/s", s.Step, s.Steps, s.ImagesPerSec)
		if el, rl, ok := r.eta(); ok {
			right += " · " + experiments.ETA(el, rl)
		}
		bw := w - len(left) - lipgloss.Width(right)
		if bw < 10 {
			right = fmt.Sprintf(" %d/%d", s.Step, s.Steps)
			bw = w - len(left) - lipgloss.Width(right)
		}
		return left + common.Bar(st, frac, max(bw, 4)) + right
	case r.running() && len(r.hist) > 0:
		return fmt.Sprintf("epoch %d/%d done · validating and saving…", len(r.hist), r.spec.Epochs)
	case r.running():
		return "epoch 1: first batches…"
	}
	// Ended.
	total := 0.0
	for _, m := range r.hist {
		total += m.Seconds
	}
	line := fmt.Sprintf("%s after %d/%d epochs in %s", r.status, len(r.hist), r.spec.Epochs, common.Duration(total))
	switch r.status {
	case experiments.StateStopped, experiments.StateInterrupted:
		line += " · resume it from the runs screen (3, r)"
	case experiments.StateCompleted, experiments.StateEarlyStopped:
		line += " · 3 runs · 5 predict"
	}
	return common.Truncate(line, w)
}

// systemLine is what the machine gives the run: each core's use, the
// process's memory against the budget, and the training speed.
func (r *Page) systemLine() string {
	if len(r.coreUse) == 0 && r.rss == 0 {
		return ""
	}
	var parts []string
	if len(r.coreUse) > 0 {
		var cores []string
		for _, u := range r.coreUse {
			cores = append(cores, fmt.Sprintf("%.0f%%", 100*u))
		}
		parts = append(parts, "cores "+strings.Join(cores, " "))
	}
	if r.rss > 0 {
		budget := r.c.MemoryBudget
		if budget <= 0 {
			budget = resnet.DefaultMemoryBudget()
		}
		parts = append(parts, "memory "+common.GB(r.rss)+" of "+common.GB(budget)+" budget")
	}
	if s := r.step; s != nil && s.ImagesPerSec > 0 {
		parts = append(parts, fmt.Sprintf("%.0f img/s", s.ImagesPerSec))
	}
	return "system " + strings.Join(parts, " · ")
}

func (r *Page) infoLine(w int) string {
	var parts []string
	lr := r.spec.LR
	if n := len(r.hist); n > 0 {
		lr = r.hist[n-1].LR
	}
	if s := r.step; s != nil && s.LR > 0 {
		lr = s.LR // the schedule moves it batch by batch
	}
	parts = append(parts, fmt.Sprintf("lr %.3g", lr))
	best, bestEpoch, wait := r.monitor()
	if bestEpoch > 0 {
		v := fmt.Sprintf("%.4f", best)
		if !train.Minimised(r.spec.Monitor) {
			v = experiments.FormatInterval(best, r.meta.ValidImages)
		}
		parts = append(parts, fmt.Sprintf("best %s %s (epoch %d)", r.spec.Monitor, v, bestEpoch))
	}
	if r.spec.Patience > 0 {
		parts = append(parts, fmt.Sprintf("patience %d/%d left", max(r.spec.Patience-wait, 0), r.spec.Patience))
	} else if r.spec.Arch.Valid() {
		parts = append(parts, "no early stopping")
	}
	if s := r.step; s != nil {
		parts = append(parts, fmt.Sprintf("this epoch: loss %.4f acc %s", s.Loss, common.Pct(s.Acc)))
	}
	return common.JoinFit(parts, " · ", w)
}

func (r *Page) noteLine() string {
	if q := r.queue; q != nil && q.Sweep() {
		done := len(q.StartedIDs())
		waiting := q.Waiting()
		if name := q.SweepName(); name != "" {
			started, total := q.SweepProgress()
			line := fmt.Sprintf("sweep %s %d/%d", name, started, total)
			if len(waiting) > 0 {
				next := waiting[0].Spec
				line += fmt.Sprintf(" · next %s · %d queued", strings.TrimSpace(next.Arch.Short()+" "+strings.TrimPrefix(strings.TrimPrefix(next.Name, name), " ")), len(waiting))
			}
			return line
		}
		var queued []string
		for _, s := range waiting {
			queued = append(queued, s.Spec.Arch.String())
		}
		line := fmt.Sprintf("depth sweep %d/%d", max(done, 1), q.Total())
		if len(queued) > 0 {
			line += ": then " + strings.Join(queued, ", ")
		}
		return line
	}
	if len(r.notes) > 0 {
		return strings.Join(r.notes, "; ")
	}
	return ""
}

// charts draws the loss and accuracy charts, train and validation
// overlaid, side by side when there is room.
func (r *Page) charts(w, h int) string {
	if h < 4 {
		return ""
	}
	loss := components.ChartView{Title: "loss", Smooth: r.smooth, Log: r.log, TimeAxis: r.timeAxis}
	acc := components.ChartView{Title: "accuracy", Smooth: r.smooth, TimeAxis: r.timeAxis}
	if r.timeAxis {
		loss.Title += " by time"
		acc.Title += " by time"
	} else {
		loss.Title += " by epoch"
		acc.Title += " by epoch"
	}
	trainLoss := components.EpochCurve("train", r.hist, "train_loss", r.timeAxis)
	trainAcc := components.EpochCurve("train", r.hist, "train_acc", r.timeAxis)
	if s := r.step; s != nil && s.Step > 0 {
		// The epoch in progress: its running train loss and accuracy.
		x := float64(s.Epoch-1) + float64(s.Step)/float64(max(s.Steps, 1))
		if r.timeAxis {
			x = s.Elapsed
			for _, m := range r.hist {
				x += m.Seconds
			}
		}
		trainLoss.Points = append(trainLoss.Points, components.Point{X: x, Y: s.Loss})
		trainAcc.Points = append(trainAcc.Points, components.Point{X: x, Y: s.Acc})
	}
	loss.Curves = []components.Curve{trainLoss, components.EpochCurve("validation", r.hist, "val_loss", r.timeAxis)}
	acc.Curves = []components.Curve{trainAcc, components.EpochCurve("validation", r.hist, "val_acc", r.timeAxis)}
	if len(r.hist) > 0 && r.hist[len(r.hist)-1].ValAccRaw > 0 {
		// With a weight average, validation is the average's; the raw
		// weights' curve is drawn beside it.
		loss.Curves = append(loss.Curves, components.EpochCurve("validation (raw weights)", r.hist, "val_loss_raw", r.timeAxis))
		acc.Curves = append(acc.Curves, components.EpochCurve("validation (raw weights)", r.hist, "val_acc_raw", r.timeAxis))
	}
	if w >= 72 {
		cw := (w - 2) / 2
		a := common.FitBlock(components.RenderChart(r.c.Styles, loss, cw, h), cw, h)
		b := common.FitBlock(components.RenderChart(r.c.Styles, acc, cw, h), cw, h)
		return lipgloss.JoinHorizontal(lipgloss.Top, common.PadLines(a, cw+2), b)
	}
	ch := h / 2
	return common.FitBlock(components.RenderChart(r.c.Styles, loss, w, ch), w, ch) + "\n" + common.FitBlock(components.RenderChart(r.c.Styles, acc, w, h-ch), w, h-ch)
}

func (runHistoryMsg) Page() common.PageID { return common.PageRun }

// SetSize sets the page's size in cells.
func (r *Page) SetSize(w, h int) { r.width, r.height = w, h }

// View draws the page at its size.
func (r *Page) View() string { return r.render(r.width, r.height) }
