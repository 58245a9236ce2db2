package run

import (
	"strings"
	"testing"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/internal/sysmem"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/internal/labtest"
)

// While a run trains, the header carries a system line: each core's use,
// memory against the budget and the speed; sampling stops with the run.
func TestSystemLine(t *testing.T) {
	if sysmem.ReadCPU().Cores() == 0 {
		t.Skip("no /proc/stat on this system")
	}
	c := labtest.Common(t, t.TempDir())
	c.MemoryBudget = 4 << 30
	p := New(c)
	p.SetSize(100, 30)
	spec := experiments.DefaultSpec()
	p.Starting(spec, false, experiments.NewQueue([]experiments.Spec{spec}))
	if cmd := p.Started(&experiments.Session{ID: "20261202-120000-r18-sys1", Meta: experiments.RunMeta{Spec: spec}}, false); cmd == nil {
		t.Fatal("no sampling scheduled when the run started")
	}
	p.Event(train.StepEvent{Epoch: 1, Epochs: 8, Step: 2, Steps: 10, ImagesPerSec: 123, Elapsed: 1})
	if next := p.Update(sysTickMsg{}); next == nil {
		t.Error("sampling stopped while the run trains")
	}
	line := ""
	for _, l := range strings.Split(p.View(), "\n") {
		if strings.HasPrefix(l, "system ") {
			line = l
		}
	}
	for _, want := range []string{"cores ", "%", "memory ", "of 4.0 GB budget", "123 img/s"} {
		if !strings.Contains(line, want) {
			t.Errorf("system line %q lacks %q", line, want)
		}
	}
	p.Closed()
	if next := p.Update(sysTickMsg{}); next != nil {
		t.Error("sampling goes on after the run ended")
	}
}

// s stops a run only while one trains: neither help list offers it after.
func TestStopIsInTheHelpOnlyWhileTraining(t *testing.T) {
	c := labtest.Common(t, t.TempDir())
	p := New(c)
	spec := experiments.DefaultSpec()
	p.Starting(spec, false, experiments.NewQueue([]experiments.Spec{spec}))
	p.Started(&experiments.Session{ID: "20261202-120000-r18-help", Meta: experiments.RunMeta{Spec: spec}}, false)
	offers := func() (short, full bool) {
		h := p.Help()
		for _, b := range h.Short {
			short = short || b.Help().Desc == p.keys.Stop.Help().Desc
		}
		for _, g := range h.Full {
			for _, b := range g {
				full = full || b.Help().Desc == p.keys.Stop.Help().Desc
			}
		}
		return short, full
	}
	if s, f := offers(); !s || !f {
		t.Errorf("while training: stop in the short help %v, in the full %v", s, f)
	}
	p.Closed()
	if s, f := offers(); s || f {
		t.Errorf("after the run: stop in the short help %v, in the full %v", s, f)
	}
}
