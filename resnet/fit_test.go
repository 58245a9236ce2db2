package resnet

import (
	"context"
	"errors"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/reslab/reslab/train"
)

// fakeSource serves fixed random batches; the same epoch gives the same
// batches, as the real loader does. cancelAt, when set, cancels a context
// just before the given (epoch, batch) is served.
type fakeSource struct {
	batches  int
	size     int
	classes  int
	per      int
	seed     uint64
	nan      bool
	cancel   context.CancelFunc
	cancelAt [2]int
}

func (s *fakeSource) Batches() int { return s.batches }

func (s *fakeSource) Epoch(ctx context.Context, epoch, skip int) train.BatchIter {
	return &fakeIter{s: s, epoch: epoch, next: skip}
}

type fakeIter struct {
	s     *fakeSource
	epoch int
	next  int
}

func (it *fakeIter) Next() (train.Batch, error) {
	if it.next >= it.s.batches {
		return nil, io.EOF
	}
	if it.s.cancel != nil && it.epoch == it.s.cancelAt[0] && it.next == it.s.cancelAt[1] {
		it.s.cancel()
	}
	b := randomBatch(it.s.per, it.s.size, it.s.classes, it.s.seed+uint64(it.epoch*100+it.next))
	if it.s.nan {
		b.Images[0] = float32(math.NaN())
	}
	it.next++
	return b, nil
}

func (it *fakeIter) Close() {}

func TestFitEventsAndHooks(t *testing.T) {
	cfg := tinyConfig()
	m, err := NewModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	trainSrc := &fakeSource{batches: 3, size: cfg.InputSize, classes: cfg.Classes, per: 4, seed: 1}
	valid := &fakeSource{batches: 1, size: cfg.InputSize, classes: cfg.Classes, per: 3, seed: 50}
	events := make(chan train.Event, 100)
	var epochs, bests, lasts int
	res, err := train.Fit(context.Background(), m, trainSrc, valid, train.FitOptions{
		Epochs: 3, LR: 1e-3, Events: events, StepInterval: 1,
		Hooks: train.Hooks{
			Epoch: func(train.EpochMetrics, []train.ValPrediction) error { epochs++; return nil },
			Best: func(_ train.EpochMetrics, preds []train.ValPrediction) error {
				bests++
				if len(preds) != 3 || len(preds[0].Probs) != cfg.Classes {
					t.Errorf("best hook got %d predictions", len(preds))
				}
				return nil
			},
			Last: func(train.FitState) error { lasts++; return nil },
		},
	})
	if err != nil || res.Status != train.StatusCompleted || len(res.History) != 3 {
		t.Fatalf("fit: %v, %+v", err, res)
	}
	if epochs != 3 || lasts != 3 || bests < 1 {
		t.Errorf("hooks ran %d epoch, %d best, %d last times", epochs, bests, lasts)
	}
	var kinds []string
	for e := range events { // closed by Fit
		switch e.(type) {
		case train.StepEvent:
			kinds = append(kinds, "step")
		case train.EpochEvent:
			kinds = append(kinds, "epoch")
		case train.CheckpointEvent:
			kinds = append(kinds, "checkpoint")
		case train.DoneEvent:
			kinds = append(kinds, "done")
		}
	}
	count := map[string]int{}
	for _, k := range kinds {
		count[k]++
	}
	if count["epoch"] != 3 || count["done"] != 1 || kinds[len(kinds)-1] != "done" || count["step"] == 0 {
		t.Errorf("events %v", kinds)
	}
}

func TestFitStopsOnNaN(t *testing.T) {
	cfg := tinyConfig()
	m, _ := NewModel(cfg, 1)
	defer m.Close()
	trainSrc := &fakeSource{batches: 2, size: cfg.InputSize, classes: cfg.Classes, per: 2, seed: 1, nan: true}
	res, err := train.Fit(context.Background(), m, trainSrc, trainSrc, train.FitOptions{Epochs: 2, LR: 1e-3})
	if !errors.Is(err, ErrNonFinite) || res.Status != train.StatusFailed {
		t.Fatalf("status %s, error %v; want failed with ErrNonFinite", res.Status, err)
	}
}

func TestFitHookErrorFails(t *testing.T) {
	cfg := tinyConfig()
	m, _ := NewModel(cfg, 1)
	defer m.Close()
	src := &fakeSource{batches: 1, size: cfg.InputSize, classes: cfg.Classes, per: 2, seed: 1}
	disk := errors.New("no space left on device")
	res, err := train.Fit(context.Background(), m, src, src, train.FitOptions{Epochs: 2, LR: 1e-3,
		Hooks: train.Hooks{Epoch: func(train.EpochMetrics, []train.ValPrediction) error { return disk }}})
	if !errors.Is(err, disk) || res.Status != train.StatusFailed {
		t.Fatalf("status %s, error %v", res.Status, err)
	}
}

// TestResumeEqualsUninterrupted stops a fit between batches of its second
// epoch, resumes it in a new model from the saved files, and requires the
// same weights and history as a fit that ran straight through.
func TestResumeEqualsUninterrupted(t *testing.T) {
	cfg := tinyConfig()
	opts := func() train.FitOptions {
		return train.FitOptions{Epochs: 3, LR: 1e-3, Early: &train.EarlyStopping{Monitor: train.Monitor{Metric: "val_loss"}, Patience: 5}}
	}
	newSource := func() *fakeSource {
		return &fakeSource{batches: 3, size: cfg.InputSize, classes: cfg.Classes, per: 4, seed: 7}
	}
	valid := &fakeSource{batches: 1, size: cfg.InputSize, classes: cfg.Classes, per: 4, seed: 99}

	straight, _ := NewModel(cfg, 5)
	want, err := train.Fit(context.Background(), straight, newSource(), valid, opts())
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	weights, state := filepath.Join(dir, "last.safetensors"), filepath.Join(dir, "last.optim.safetensors")
	first, _ := NewModel(cfg, 5)
	ctx, cancel := context.WithCancel(context.Background())
	src := newSource()
	src.cancel, src.cancelAt = cancel, [2]int{1, 1} // while serving the second batch of epoch 2
	o := opts()
	o.Hooks.Last = func(st train.FitState) error {
		if err := first.SaveWeights(weights); err != nil {
			return err
		}
		return first.SaveResumeState(state, st)
	}
	res, err := train.Fit(ctx, first, src, valid, o)
	if !errors.Is(err, context.Canceled) || res.Status != train.StatusStopped {
		t.Fatalf("stopped fit: %s, %v", res.Status, err)
	}

	second, _ := NewModel(cfg, 123) // another seed: everything must come from the files
	if _, err := second.LoadWeights(weights, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := second.LoadResumeState(state)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 1 || st.Partial.Steps != 1 { // the batch being served when cancelled is not trained
		t.Fatalf("resume state at epoch %d step %d, want 1 and 1", st.Epoch, st.Partial.Steps)
	}
	o = opts()
	o.Resume = &st
	got, err := train.Fit(context.Background(), second, newSource(), valid, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != len(want.History) {
		t.Fatalf("history of %d epochs, want %d", len(got.History), len(want.History))
	}
	for i := range want.History {
		g, w := got.History[i], want.History[i]
		if math.Abs(g.TrainLoss-w.TrainLoss) > 1e-6 || math.Abs(g.ValLoss-w.ValLoss) > 1e-6 {
			t.Errorf("epoch %d: train/val loss %v/%v, uninterrupted %v/%v", i+1, g.TrainLoss, g.ValLoss, w.TrainLoss, w.ValLoss)
		}
	}
	gw, ww := second.Tensors(), straight.Tensors()
	for i := range ww {
		a, _ := gw[i].Float32s()
		b, _ := ww[i].Float32s()
		assertClose(t, ww[i].Name, a, b, 1e-6)
	}
}
