package compare

import (
	"testing"

	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/internal/labtest"
)

func TestCompareSaveAndReopen(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	c := labtest.Common(t, dir)
	s := New(c)
	s.SetSize(120, 38)
	h := &labtest.Harness{T: t, Page: s, Store: c.Store}
	ids := []string{"20261127-100000-r18-aaaa", "20261127-110000-r34-bbbb"}
	h.Send(common.CompareOpenMsg{IDs: ids})
	if len(s.runs) != 2 || len(s.sums) != 2 {
		t.Fatalf("compare: %d runs, %d summaries", len(s.runs), len(s.sums))
	}
	if s.sums[1].Versus == nil {
		t.Error("no McNemar test between the two runs")
	}
	h.Press("tab", "x", "s", "depths", "enter")
	saved, err := c.Store.LoadComparison("depths")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Metric != "val_loss" || saved.XAxis != "time" || len(saved.Runs) != 2 || saved.Runs[0] != ids[0] {
		t.Errorf("saved %+v", saved)
	}
	// Reopened in a fresh page, it comes back as saved.
	again := New(c)
	labtest.Settle(t, again.Update, again.Update(common.CompareOpenMsg{IDs: saved.Runs, Comparison: &saved}))
	if again.name != "depths" || !again.time || compareMetrics[again.metric] != "val_loss" || len(again.runs) != 2 {
		t.Errorf("reopened: name %q time %v metric %s", again.name, again.time, compareMetrics[again.metric])
	}
}
