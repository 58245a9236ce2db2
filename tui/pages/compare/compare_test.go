package compare

import (
	"strings"
	"testing"

	"github.com/reslab/reslab/experiments"
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

// d leaves out the settings every run shares; what differs stays. A run on
// other data is said to be, not paired.
func TestCompareDifferingSettingsAndOtherData(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	c := labtest.Common(t, dir)
	s := New(c)
	s.SetSize(200, 40)
	h := &labtest.Harness{T: t, Page: s, Store: c.Store}
	h.Send(common.CompareOpenMsg{IDs: []string{"20261127-100000-r18-aaaa", "20261127-110000-r34-bbbb", "20261127-120000-r50-cccc"}})
	header := func() string {
		for _, l := range strings.Split(s.View(), "\n") {
			if strings.HasPrefix(l, "run ") {
				return l
			}
		}
		t.Fatalf("no table header in\n%s", s.View())
		return ""
	}
	if hd := header(); !strings.Contains(hd, "width") || !strings.Contains(hd, "arch") {
		t.Fatalf("full table header %q", hd)
	}
	h.Press("d")
	hd := header()
	for _, gone := range []string{"width", "size", "mode"} {
		if strings.Contains(hd, gone) {
			t.Errorf("d kept the shared setting %q: %q", gone, hd)
		}
	}
	for _, kept := range []string{"name", "data", "arch", "params", "best acc"} {
		if !strings.Contains(hd, kept) {
			t.Errorf("d dropped %q, which differs or is a result: %q", kept, hd)
		}
	}
	if v := s.View(); !strings.Contains(v, "n/a: trained on other data than the first run") {
		t.Errorf("no note on the run trained on other data:\n%s", v)
	}
}

// d also lists the settings without a column that differ (here the
// planned epochs and a learning rate), each run's value in the table's
// order; the settings every run shares are not listed.
func TestCompareListsOtherDifferingSettings(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	labtest.WriteRun(t, dir, labtest.FakeRun{ID: "20261127-130000-r18-dddd", Depth: 18, Name: "fast", LR: 0.03,
		Epochs: labtest.Epochs(4, 0.5), State: experiments.StateCompleted})
	c := labtest.Common(t, dir)
	s := New(c)
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		s.SetSize(size[0], size[1])
		h := &labtest.Harness{T: t, Page: s, Store: c.Store}
		s.diffOnly = false
		h.Send(common.CompareOpenMsg{IDs: []string{"20261127-100000-r18-aaaa", "20261127-110000-r34-bbbb", "20261127-120000-r50-cccc", "20261127-130000-r18-dddd"}})
		h.Press("d")
		lines := map[string]string{}
		for _, l := range strings.Split(s.View(), "\n") {
			if f := strings.Fields(l); len(f) > 0 {
				lines[f[0]] = l
			}
		}
		if hd := lines["differs"]; !strings.Contains(hd, "deeper r34") {
			t.Errorf("%dx%d: no header naming the runs over the differing settings: %q\n%s", size[0], size[1], hd, s.View())
		}
		if f := strings.Fields(lines["lr"]); len(f) != 5 || f[1] != "0.003" || f[4] != "0.03" {
			t.Errorf("%dx%d: lr row %q", size[0], size[1], lines["lr"])
		}
		if f := strings.Fields(lines["epochs"]); len(f) != 5 || f[3] != "6" {
			t.Errorf("%dx%d: epochs row %q", size[0], size[1], lines["epochs"])
		}
		if l, ok := lines["batch"]; ok {
			t.Errorf("%dx%d: the shared batch size is listed: %q", size[0], size[1], l)
		}
		// The data differ: a column where the width has room for it, else
		// a row of the list.
		inTable := strings.Contains(lines["run"], " data ")
		if f := strings.Fields(lines["data"]); inTable == (len(f) == 5) || !inTable && f[3] != "flowers10" {
			t.Errorf("%dx%d: data in the table %v, data row %q", size[0], size[1], inTable, lines["data"])
		}
	}
}

// One run is "1 run", not "1 runs".
func TestCompareOneRunTitle(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	c := labtest.Common(t, dir)
	s := New(c)
	s.SetSize(80, 24)
	h := &labtest.Harness{T: t, Page: s, Store: c.Store}
	h.Send(common.CompareOpenMsg{IDs: []string{"20261127-100000-r18-aaaa"}})
	if v := s.View(); !strings.Contains(v, "compare 1 run\n") && !strings.Contains(v, "compare 1 run ") {
		t.Errorf("one run's title:\n%s", v)
	}
}
