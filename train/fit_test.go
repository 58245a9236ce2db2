package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

func TestCallbacks(t *testing.T) {
	st := FitState{LR: 1, Best: Monitor{Metric: "val_loss"},
		Early:   &EarlyStopping{Monitor: Monitor{Metric: "val_loss", MinDelta: 0.01}, Patience: 2},
		Plateau: &ReduceLROnPlateau{Monitor: Monitor{Metric: "val_acc"}, Patience: 1, Factor: 0.5, MinLR: 0.3}}
	losses := []float64{1.0, 0.8, 0.795, 0.9, 0.7}
	accs := []float64{0.5, 0.6, 0.6, 0.55, 0.7}
	wantBest := []bool{true, true, true, false, true}
	wantStop := []bool{false, false, false, true, false}
	wantLR := []float64{1, 1, 0.5, 0.3, 0.3}
	for i := range losses {
		best, stop := st.endEpoch(EpochMetrics{Epoch: i + 1, ValLoss: losses[i], ValAcc: accs[i]})
		if best != wantBest[i] || stop != wantStop[i] || st.LR != wantLR[i] {
			t.Errorf("epoch %d: best %v stop %v lr %v; want %v %v %v", i+1, best, stop, st.LR, wantBest[i], wantStop[i], wantLR[i])
		}
	}
	// 0.795 improved the checkpoint monitor (no min delta) but not early
	// stopping (min delta 0.01): epochs 3 and 4 are its two bad epochs.
	if st.Best.BestEpoch != 5 || st.Early.BestEpoch != 5 {
		t.Errorf("best epochs %d/%d", st.Best.BestEpoch, st.Early.BestEpoch)
	}
	max := Monitor{Metric: "val_acc"}
	max.Observe(1, 0.5)
	if max.Observe(2, 0.4) || !max.Observe(3, 0.6) {
		t.Error("val_acc monitor should prefer larger values")
	}
}

// countingLearner is a Learner with no model: its loss falls by a tenth per
// step, it refuses batches of one image, and its state is its step count.
type countingLearner struct {
	steps, evals int
	restored     *LearnerState
}

func (l *countingLearner) TrainStep(_ context.Context, b Batch, lr float64) (StepResult, error) {
	if b.Len() == 1 {
		return StepResult{}, fmt.Errorf("one image: %w", ErrSkipBatch)
	}
	l.steps++
	return StepResult{Loss: 1 / float64(l.steps), Correct: b.Len() / 2, Images: b.Len()}, nil
}

func (l *countingLearner) Eval(_ context.Context, b Batch) (EvalResult, error) {
	l.evals++
	probs := make([]float32, 2*b.Len())
	for i, y := range b.Labels() {
		probs[2*i+y] = 1
	}
	return EvalResult{Loss: 0.5, Correct: b.Len(), Images: b.Len(), Probs: probs}, nil
}

func (l *countingLearner) SaveState() (LearnerState, error) {
	return LearnerState{RNG: []byte{byte(l.steps)}, OptimizerSteps: l.steps}, nil
}

func (l *countingLearner) RestoreState(s LearnerState) error {
	l.restored, l.steps = &s, s.OptimizerSteps
	return nil
}

// sizedSource serves batches of the given sizes every epoch; cancel, when
// set, is called before batch cancelAt of epoch 0 is served.
type sizedSource struct {
	sizes    []int
	cancel   context.CancelFunc
	cancelAt int
	delay    time.Duration // each batch takes this long to arrive
}

func (s *sizedSource) Batches() int { return len(s.sizes) }

func (s *sizedSource) Epoch(ctx context.Context, epoch, skip int) BatchIter {
	return &sizedIter{s: s, epoch: epoch, next: skip}
}

type sizedIter struct {
	s           *sizedSource
	epoch, next int
}

func (it *sizedIter) Next() (Batch, error) {
	if it.next >= len(it.s.sizes) {
		return nil, io.EOF
	}
	if it.s.cancel != nil && it.epoch == 0 && it.next == it.s.cancelAt {
		it.s.cancel()
	}
	n := it.s.sizes[it.next]
	it.next++
	time.Sleep(it.s.delay)
	return SliceBatch{Images: make([]float32, n), Classes: make([]int, n)}, nil
}

func (it *sizedIter) Close() {}

func TestFitSkipsBatchesTheLearnerRefuses(t *testing.T) {
	l := &countingLearner{}
	res, err := Fit(context.Background(), l, &sizedSource{sizes: []int{4, 4, 1}}, &sizedSource{sizes: []int{3}}, FitOptions{Epochs: 2, LR: 1})
	if err != nil || res.Status != StatusCompleted {
		t.Fatalf("fit: %s, %v", res.Status, err)
	}
	if l.steps != 4 || l.evals != 2 {
		t.Fatalf("%d steps and %d evaluations, want 4 (the lone image skipped) and 2", l.steps, l.evals)
	}
	if h := res.History[1]; h.TrainAcc != 0.5 || h.ValAcc != 1 || h.ValLoss != 0.5 {
		t.Fatalf("epoch 2 metrics %+v, want train acc 0.5 over the 8 trained images, val acc 1, val loss 0.5", h)
	}
}

// TestFitMeasuresTheWaitForData: an epoch records how long it waited for
// its batches, training's and validation's, within its time.
func TestFitMeasuresTheWaitForData(t *testing.T) {
	delay := 20 * time.Millisecond
	res, err := Fit(context.Background(), &countingLearner{}, &sizedSource{sizes: []int{2, 2, 2}, delay: delay},
		&sizedSource{sizes: []int{2}, delay: delay}, FitOptions{Epochs: 1, LR: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := res.History[0]
	if min := 4 * delay.Seconds(); h.DataWaitSeconds < min || h.DataWaitSeconds > h.Seconds {
		t.Fatalf("waited %.3f s for data in an epoch of %.3f s; want at least %.3f s (4 batches of %v) and no more than the epoch", h.DataWaitSeconds, h.Seconds, min, delay)
	}
}

func TestFitCancelSavesLearnerStateAndResumes(t *testing.T) {
	l := &countingLearner{}
	ctx, cancel := context.WithCancel(context.Background())
	src := &sizedSource{sizes: []int{2, 2, 2}, cancel: cancel, cancelAt: 1} // the batch being served still trains
	var saved FitState
	hooks := Hooks{Last: func(st FitState) error { saved = st; return nil }}
	res, err := Fit(ctx, l, src, &sizedSource{sizes: []int{2}}, FitOptions{Epochs: 2, LR: 1, Hooks: hooks})
	if !errors.Is(err, context.Canceled) || res.Status != StatusStopped {
		t.Fatalf("cancelled fit: %s, %v", res.Status, err)
	}
	if saved.Partial.Steps != 2 || saved.OptimizerSteps != 2 || saved.Epoch != 0 {
		t.Fatalf("saved state: epoch %d, %d batches done, learner at step %d; want 0, 2, 2", saved.Epoch, saved.Partial.Steps, saved.OptimizerSteps)
	}
	resumed := &countingLearner{}
	res, err = Fit(context.Background(), resumed, &sizedSource{sizes: []int{2, 2, 2}}, &sizedSource{sizes: []int{2}},
		FitOptions{Epochs: 2, LR: 1, Resume: &saved})
	if err != nil || res.Status != StatusCompleted {
		t.Fatalf("resumed fit: %s, %v", res.Status, err)
	}
	if resumed.restored == nil || resumed.restored.OptimizerSteps != 2 || resumed.steps != 6 {
		t.Fatalf("resumed learner restored %+v and ended at step %d; want step 2 restored and 6 in all", resumed.restored, resumed.steps)
	}
	if len(res.History) != 2 || res.History[0].Epoch != 1 {
		t.Fatalf("history %+v", res.History)
	}
}

func TestReplayMatchesTheCallbacksRule(t *testing.T) {
	h := []EpochMetrics{{Epoch: 1, ValLoss: 1}, {Epoch: 2, ValLoss: 0.8}, {Epoch: 3, ValLoss: 0.795}, {Epoch: 4, ValLoss: 0.9}}
	m := Replay(h, "val_loss", 0.01)
	if m.BestEpoch != 2 || m.Best != 0.8 || m.Wait != 2 {
		t.Fatalf("Replay = %+v, want best 0.8 at epoch 2, waiting 2 (0.795 is within the min delta)", m)
	}
	if acc := Replay(h, "val_acc", 0); acc.BestEpoch != 1 || acc.Wait != 3 {
		t.Fatalf("Replay val_acc = %+v, want epoch 1 (all zero) and wait 3", acc)
	}
}

// sleepyLearner takes a fixed time per step, so a fit's epochs have a
// known pace.
type sleepyLearner struct {
	countingLearner
	per time.Duration
}

func (l *sleepyLearner) TrainStep(ctx context.Context, b Batch, lr float64) (StepResult, error) {
	time.Sleep(l.per)
	return l.countingLearner.TrainStep(ctx, b, lr)
}

// A time budget plans the epochs: the fit ends within it, having said its
// plan, however many epochs were asked for.
func TestFitEndsWithinItsBudget(t *testing.T) {
	l := &sleepyLearner{per: 40 * time.Millisecond}
	var plans []int
	const budget = 0.8 // seconds; an epoch is 4 steps, about 0.16 s
	res, err := Fit(context.Background(), l, &sizedSource{sizes: []int{2, 2, 2, 2}}, &sizedSource{sizes: []int{2}},
		FitOptions{Epochs: 1000, LR: 1, BudgetSeconds: budget, Hooks: Hooks{Planned: func(n int) error { plans = append(plans, n); return nil }}})
	if err != nil || res.Status != StatusCompleted {
		t.Fatalf("fit: %s, %v", res.Status, err)
	}
	used := 0.0
	for _, m := range res.History {
		used += m.Seconds
	}
	if used > budget*1.25 || len(res.History) < 2 || len(res.History) > 6 {
		t.Errorf("%d epochs in %.2f s on a %.1f s budget", len(res.History), used, budget)
	}
	if len(plans) == 0 || plans[len(plans)-1] != len(res.History) {
		t.Errorf("plans %v, epochs trained %d", plans, len(res.History))
	}
}

// recalibratingLearner records, in order, what Fit asked of it: "train",
// "recal N" (N batches read), "eval", "avg on"/"avg off".
type recalibratingLearner struct {
	countingLearner
	log []string
}

func (l *recalibratingLearner) TrainStep(ctx context.Context, b Batch, lr float64) (StepResult, error) {
	l.log = append(l.log, "train")
	return l.countingLearner.TrainStep(ctx, b, lr)
}

func (l *recalibratingLearner) Eval(ctx context.Context, b Batch) (EvalResult, error) {
	l.log = append(l.log, "eval")
	return l.countingLearner.Eval(ctx, b)
}

func (l *recalibratingLearner) Recalibrate(_ context.Context, it BatchIter) error {
	n := 0
	for {
		if _, err := it.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		n++
	}
	l.log = append(l.log, fmt.Sprintf("recal %d", n))
	return nil
}

func (l *recalibratingLearner) Averaging() bool { return l.steps > 0 }

func (l *recalibratingLearner) UseAverage(on bool) {
	l.log = append(l.log, map[bool]string{true: "avg on", false: "avg off"}[on])
}

// TestFitRecalibratesBeforeEveryValidation: with a recalibration source,
// each validation, the raw weights' and the average's, follows a
// recalibration of RecalibrateBatches batches; without one, none happens.
func TestFitRecalibratesBeforeEveryValidation(t *testing.T) {
	l := &recalibratingLearner{}
	recal := &sizedSource{sizes: []int{2, 2, 2, 2}}
	_, err := Fit(context.Background(), l, &sizedSource{sizes: []int{2}}, &sizedSource{sizes: []int{2}},
		FitOptions{Epochs: 2, LR: 1, Recalibrate: recal, RecalibrateBatches: 3})
	if err != nil {
		t.Fatal(err)
	}
	epoch := []string{"train", "recal 3", "eval", "avg on", "recal 3", "eval", "avg off"}
	if want := append(append([]string(nil), epoch...), epoch...); fmt.Sprint(l.log) != fmt.Sprint(want) {
		t.Errorf("calls %v, want %v", l.log, want)
	}

	l = &recalibratingLearner{}
	if _, err := Fit(context.Background(), l, &sizedSource{sizes: []int{2}}, &sizedSource{sizes: []int{2}},
		FitOptions{Epochs: 1, LR: 1, Recalibrate: recal}); err != nil {
		t.Fatal(err)
	}
	if want := "[train recal 4 eval avg on recal 4 eval avg off]"; fmt.Sprint(l.log) != want {
		t.Errorf("with every batch: calls %v, want %v", l.log, want)
	}

	l = &recalibratingLearner{}
	if _, err := Fit(context.Background(), l, &sizedSource{sizes: []int{2}}, &sizedSource{sizes: []int{2}},
		FitOptions{Epochs: 1, LR: 1}); err != nil {
		t.Fatal(err)
	}
	if want := "[train eval avg on eval avg off]"; fmt.Sprint(l.log) != want {
		t.Errorf("without a source: calls %v, want %v", l.log, want)
	}
}
