package tui

import (
	"testing"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/internal/labtest"
)

// Golden views: fixed sizes, no colour (the NO_COLOR profile), fixed
// runs. Regenerate with: go test ./tui -run Golden -update

func TestGoldenSetup(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		t.Run(size.name, func(t *testing.T) {
			dir := t.TempDir()
			labtest.ThreeRuns(t, dir)
			m := newLab(t, nil, dir)
			sized(t, m, size.w, size.h)
			focusField(t, m, "epochs")
			press(t, m, "ctrl+u", "0")
			requireGolden(t, m)
		})
	}
}

// The form scrolled to its last fields, with a long error and text typed
// into name.
func TestGoldenSetupScrolled(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		t.Run(size.name, func(t *testing.T) {
			m := newLab(t, nil, t.TempDir())
			sized(t, m, size.w, size.h)
			focusField(t, m, "depth sweep")
			press(t, m, "3", "4", "2")
			focusField(t, m, "name")
			press(t, m, "f", "l", "o", "w", "e", "r", "s")
			requireGolden(t, m)
		})
	}
}

// The form with a long error: a data folder that does not exist, its
// message in full under the form.
func TestGoldenSetupLongError(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		t.Run(size.name, func(t *testing.T) {
			m := newLab(t, nil, t.TempDir())
			sized(t, m, size.w, size.h)
			focusField(t, m, "data folder")
			press(t, m, "/nonexistent/datasets/oxford-flowers/a-folder-with-a-rather-long-name/flowers92-at-224-pixels")
			requireGolden(t, m)
		})
	}
}

// liveRun puts the lab in the middle of a run's third epoch.
func liveRun(t *testing.T, w, h int) *Model {
	m := newLab(t, nil, "")
	sized(t, m, w, h)
	spec := experiments.DefaultSpec()
	spec.Width, spec.Size, spec.Epochs, spec.Patience = 8, 32, 6, 4
	_, _ = m.Update(common.StartMsg{Specs: []experiments.Spec{spec}})
	sess := &experiments.Session{ID: "20261127-130000-r18-live", Events: make(chan train.Event),
		Meta:  experiments.RunMeta{Spec: spec, TrainImages: 300, ValidImages: 90},
		Notes: []string{"started from random weights (He initialisation)"}}
	_, _ = m.Update(sessionMsg{sess: sess, spec: spec})
	for _, e := range labtest.Epochs(2, 0.5) {
		_, _ = m.Update(eventMsg{id: sess.ID, ev: train.EpochEvent{Metrics: e}})
	}
	_, _ = m.Update(eventMsg{id: sess.ID, ev: train.CheckpointEvent{Epoch: 2, Kind: "best", Metric: "val_acc"}})
	_, _ = m.Update(eventMsg{id: sess.ID, ev: train.StepEvent{Epoch: 3, Epochs: 6, Step: 6, Steps: 10, Images: 192, Loss: 0.9, Acc: 0.55, ImagesPerSec: 140, Elapsed: 1.4}})
	return m
}

func TestGoldenRun80x24(t *testing.T)  { requireGolden(t, liveRun(t, 80, 24)) }
func TestGoldenRun200x50(t *testing.T) { requireGolden(t, liveRun(t, 200, 50)) }

func TestGoldenRuns80x24(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	m := newLab(t, nil, dir)
	sized(t, m, 80, 24)
	press(t, m, "3", "space", "j", "space")
	requireGolden(t, m)
}

// The runs screen at 200×50 with a filter that reads and a saved
// comparison.
func TestGoldenRuns200x50(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	store, _ := experiments.OpenStore(dir)
	if err := store.SaveComparison(experiments.Comparison{Name: "depths", Runs: []string{"20261127-100000-r18-aaaa", "20261127-110000-r34-bbbb"}, Metric: "val_acc", XAxis: "epoch"}); err != nil {
		t.Fatal(err)
	}
	m := newLab(t, nil, dir)
	sized(t, m, 200, 50)
	press(t, m, "3", "/", "arch<50 status:completed", "enter", "space")
	requireGolden(t, m)
}

func TestGoldenCompare(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		t.Run(size.name, func(t *testing.T) {
			// The busiest state: four runs, one on other data.
			dir := t.TempDir()
			labtest.ThreeRuns(t, dir)
			labtest.WriteRun(t, dir, labtest.FakeRun{ID: "20261127-130000-r18-dddd", Depth: 18, Name: "flowers92-pretrain",
				Data: "/data/flowers92", Epochs: labtest.Epochs(5, 0.5), State: experiments.StateCompleted})
			m := newLab(t, nil, dir)
			sized(t, m, size.w, size.h)
			press(t, m, "3", "g", "space", "space", "space", "space", "c")
			requireGolden(t, m)
		})
	}
}

func TestGoldenPredict(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		t.Run(size.name, func(t *testing.T) {
			dir := t.TempDir()
			labtest.ThreeRuns(t, dir)
			m := newLab(t, nil, dir)
			sized(t, m, size.w, size.h)
			press(t, m, "3", "G", "space", "k", "space", "G", "p", "n")
			requireGolden(t, m)
		})
	}
}

// The expanded help of the runs and predict screens, wrapped.
func TestGoldenHelp(t *testing.T) {
	for _, c := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"runs-80x24", 80, 24, []string{"3", "?"}},
		{"runs-200x50", 200, 50, []string{"3", "?"}},
		{"predict-80x24", 80, 24, []string{"3", "G", "p", "?"}},
		{"predict-200x50", 200, 50, []string{"3", "G", "p", "?"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			labtest.ThreeRuns(t, dir)
			m := newLab(t, nil, dir)
			sized(t, m, c.w, c.h)
			press(t, m, c.keys...)
			requireGolden(t, m)
		})
	}
}

// A run's details: its settings, charts, the most-confused classes and
// the worst-predicted images, scrolled to the end.
func TestGoldenDetails(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		t.Run(size.name, func(t *testing.T) {
			dir := t.TempDir()
			labtest.ThreeRuns(t, dir)
			m := newLab(t, nil, dir)
			sized(t, m, size.w, size.h)
			press(t, m, "3", "G", "enter", "G")
			requireGolden(t, m)
		})
	}
}

// Compare with four runs showing only what differs: the shared setting
// columns gone, the other settings that differ listed.
func TestGoldenCompareDifferences(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		t.Run(size.name, func(t *testing.T) {
			dir := t.TempDir()
			labtest.ThreeRuns(t, dir)
			labtest.WriteRun(t, dir, labtest.FakeRun{ID: "20261127-130000-r18-dddd", Depth: 18, Name: "fast", LR: 0.03,
				Epochs: labtest.Epochs(4, 0.5), State: experiments.StateCompleted})
			m := newLab(t, nil, dir)
			sized(t, m, size.w, size.h)
			press(t, m, "3", "g", "space", "space", "space", "space", "c", "d")
			requireGolden(t, m)
		})
	}
}
