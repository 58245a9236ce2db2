package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// BatchIter walks one epoch's batches; Next returns io.EOF after the last.
type BatchIter interface {
	Next() (Batch, error)
	Close()
}

// BatchSource gives each epoch's batches. Given the same epoch it must give
// the same batches (deterministic augmentation and order), which is what
// makes a resumed run match an uninterrupted one.
type BatchSource interface {
	// Epoch iterates over epoch's batches, starting after the first skip.
	Epoch(ctx context.Context, epoch, skip int) BatchIter
	// Batches is the number of batches in one epoch.
	Batches() int
}

// Pather is implemented by batches that know their image files, so that
// validation predictions can be saved per image.
type Pather interface{ Paths() []string }

// FitState is everything a resumed fit needs besides weights and optimiser
// moments: where it stands and what its callbacks remember.
type FitState struct {
	Epoch   int                `json:"epoch"` // epochs completed
	LR      float64            `json:"lr"`
	Best    Monitor            `json:"best"` // the checkpoint monitor
	Early   *EarlyStopping     `json:"early,omitempty"`
	Plateau *ReduceLROnPlateau `json:"plateau,omitempty"`
	History []EpochMetrics     `json:"history"`
	// LearnerState is what the learner keeps besides its weights (its
	// random generator, its optimiser's step count); its fields are stored
	// inline, as "rng" and "adam_steps".
	LearnerState
	// Partial is the unfinished epoch when training was stopped between
	// batches; a resumed fit skips its batches and keeps its sums.
	Partial PartialEpoch `json:"partial"`
}

// PartialEpoch is an epoch's progress so far.
type PartialEpoch struct {
	Steps   int     `json:"steps"` // batches done
	LossSum float64 `json:"loss_sum"`
	Correct int     `json:"correct"`
	Images  int     `json:"images"`
	Seconds float64 `json:"seconds"`
	// DataWait is the part of Seconds spent waiting for the loader.
	DataWait float64 `json:"data_wait,omitempty"`
}

// Hooks let the caller persist progress. Each runs synchronously in the
// training goroutine; an error stops training and is returned by Fit, so a
// full disk fails the run instead of losing epochs silently.
type Hooks struct {
	// Epoch runs after every epoch, before the epoch event is sent, with
	// the epoch's validation predictions.
	Epoch func(EpochMetrics, []ValPrediction) error
	// Best runs when the checkpoint monitor improves, with the validation
	// predictions of that epoch.
	Best func(EpochMetrics, []ValPrediction) error
	// Last runs after every epoch and when training stops early or is
	// cancelled, with the state needed to resume.
	Last func(FitState) error
	// Planned runs when a time budget changes the planned epochs.
	Planned func(epochs int) error
}

// FitOptions configure Fit.
type FitOptions struct {
	Epochs     int
	LR         float64
	Schedule   Schedule // the learning rate's warm-up and decay; zero: constant
	Checkpoint string   // metric whose best epoch is checkpointed, such as "val_loss"
	Early      *EarlyStopping
	Plateau    *ReduceLROnPlateau
	Hooks      Hooks
	// Events, when not nil, receives progress; Fit closes it when it returns.
	// Step events are dropped when the reader is behind; epoch, checkpoint
	// and done events are always delivered, so the reader must drain the
	// channel until it is closed.
	Events chan<- Event
	// StepInterval throttles step events; 0 means 100 ms (10 a second).
	StepInterval time.Duration
	// Resume, when not nil, continues from a saved state.
	Resume *FitState
	// BudgetSeconds, when set, plans the epochs so training (the history's
	// seconds included) ends within it: after each epoch, the epochs left
	// are what the time left buys at a recent epoch's pace (see ETA), never
	// more than Epochs. The schedule then decays to zero at the planned end,
	// and Hooks.Planned hears each new plan.
	BudgetSeconds float64
	// Recalibrate, when set and the learner is a Recalibrator, is read
	// before every validation: RecalibrateBatches of its batches (all when
	// 0), the epoch's, so a resumed fit reads the same ones.
	Recalibrate        BatchSource
	RecalibrateBatches int
}

// Status is how a fit ended. A run's life on disk has more states (running,
// interrupted, queued); those belong to whoever stores runs, not the loop.
type Status string

// Fit outcomes.
const (
	StatusCompleted    Status = "completed"
	StatusEarlyStopped Status = "early-stopped"
	StatusStopped      Status = "stopped" // cancelled; resumable
	StatusFailed       Status = "failed"
)

// FitResult is what Fit returns.
type FitResult struct {
	Status  Status
	History []EpochMetrics
	Best    Monitor
}

// Fit trains the learner for opts.Epochs epochs over train, validating on
// valid after each. It stops between batches when ctx is cancelled, saving a
// resumable state through Hooks.Last, and returns context.Canceled in that
// case.
func Fit(ctx context.Context, learner Learner, train, valid BatchSource, opts FitOptions) (res FitResult, err error) {
	if opts.Events != nil {
		defer close(opts.Events)
	}
	f := &fitter{learner: learner, opts: opts, events: opts.Events, maxEpochs: opts.Epochs}
	if f.opts.StepInterval <= 0 {
		f.opts.StepInterval = 100 * time.Millisecond
	}
	if f.opts.Checkpoint == "" {
		f.opts.Checkpoint = "val_loss"
	}
	if _, err := (EpochMetrics{}).Value(f.opts.Checkpoint); err != nil {
		return res, err
	}
	state := FitState{LR: opts.LR, Best: Monitor{Metric: f.opts.Checkpoint}}
	if opts.Early != nil { // copied: the state changes as epochs pass
		e := *opts.Early
		state.Early = &e
	}
	if opts.Plateau != nil {
		p := *opts.Plateau
		state.Plateau = &p
	}
	if opts.Resume != nil {
		state = *opts.Resume
		if err := learner.RestoreState(state.LearnerState); err != nil {
			return res, err
		}
	}
	f.state = &state
	defer func() {
		res.History, res.Best = state.History, state.Best
		f.send(DoneEvent{Status: res.Status, Err: err, Best: state.Best, History: state.History})
	}()

	for state.Epoch < f.opts.Epochs {
		metrics, preds, err := f.epoch(ctx, train, valid)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				res.Status = StatusStopped
				if lerr := f.saveLast(); lerr != nil {
					return res, errors.Join(err, lerr)
				}
				return res, err
			}
			res.Status = StatusFailed
			return res, err
		}
		state.Epoch++
		state.History = append(state.History, metrics)
		if opts.Hooks.Epoch != nil {
			if err := opts.Hooks.Epoch(metrics, preds); err != nil {
				res.Status = StatusFailed
				return res, fmt.Errorf("saving epoch %d: %w", metrics.Epoch, err)
			}
		}
		if err := f.plan(); err != nil {
			res.Status = StatusFailed
			return res, err
		}
		f.send(EpochEvent{Metrics: metrics, Epochs: f.opts.Epochs})
		best, stop := state.endEpoch(metrics)
		if best {
			if opts.Hooks.Best != nil {
				// The best checkpoint is the weights validated: the average
				// when there is one.
				av, averaging := learner.(Averager)
				if averaging = averaging && av.Averaging(); averaging {
					av.UseAverage(true)
				}
				err := opts.Hooks.Best(metrics, preds)
				if averaging {
					av.UseAverage(false)
				}
				if err != nil {
					res.Status = StatusFailed
					return res, fmt.Errorf("saving the best checkpoint: %w", err)
				}
			}
			f.send(CheckpointEvent{Epoch: metrics.Epoch, Kind: "best", Metric: state.Best.Metric, Value: state.Best.Best})
		}
		if err := f.saveLast(); err != nil {
			res.Status = StatusFailed
			return res, err
		}
		f.send(CheckpointEvent{Epoch: metrics.Epoch, Kind: "last"})
		if stop && state.Epoch < f.opts.Epochs {
			res.Status = StatusEarlyStopped
			return res, nil
		}
	}
	res.Status = StatusCompleted
	return res, nil
}

type fitter struct {
	learner Learner
	opts    FitOptions
	state   *FitState
	events  chan<- Event
	// maxEpochs is the most a time budget may plan (the Epochs asked for).
	maxEpochs int
}

// plan fits the epochs to the time budget, if there is one.
func (f *fitter) plan() error {
	if f.opts.BudgetSeconds <= 0 {
		return nil
	}
	used := 0.0
	for _, m := range f.state.History {
		used += m.Seconds
	}
	var paces []float64
	for _, m := range recentEpochs(f.state.History) {
		paces = append(paces, m.Seconds)
	}
	slices.Sort(paces)
	pace := paces[len(paces)/2]
	planned := f.state.Epoch
	if pace > 0 {
		planned += int(math.Floor((f.opts.BudgetSeconds - used) / pace))
	}
	planned = min(max(planned, f.state.Epoch), f.maxEpochs)
	if planned == f.opts.Epochs {
		return nil
	}
	f.opts.Epochs = planned
	if f.opts.Hooks.Planned != nil {
		if err := f.opts.Hooks.Planned(planned); err != nil {
			return fmt.Errorf("saving the planned epochs: %w", err)
		}
	}
	return nil
}

func (f *fitter) saveLast() error {
	if f.opts.Hooks.Last == nil {
		return nil
	}
	ls, err := f.learner.SaveState()
	if err != nil {
		return err
	}
	f.state.LearnerState = ls
	if err := f.opts.Hooks.Last(*f.state); err != nil {
		return fmt.Errorf("saving the resume checkpoint: %w", err)
	}
	return nil
}

// send delivers an event; step events are dropped when the reader is busy.
func (f *fitter) send(e Event) {
	if f.events == nil {
		return
	}
	if _, isStep := e.(StepEvent); isStep {
		select {
		case f.events <- e:
		default:
		}
		return
	}
	f.events <- e
}

// epoch trains over one epoch, then validates. A cancelled context stops
// it between batches with its progress in f.state.Partial, so that a
// resumed fit continues exactly where this one stopped.
func (f *fitter) epoch(ctx context.Context, train, valid BatchSource) (EpochMetrics, []ValPrediction, error) {
	epoch := f.state.Epoch // 0-based index of the epoch being run
	metrics := EpochMetrics{Epoch: epoch + 1, LR: f.state.LR}
	if s, ok := f.learner.(EpochStarter); ok {
		s.StartEpoch(epoch)
	}
	part := &f.state.Partial
	start := time.Now().Add(-time.Duration(part.Seconds * float64(time.Second)))
	lastEvent := time.Time{}
	it := train.Epoch(ctx, epoch, part.Steps)
	defer it.Close()
	steps := train.Batches()
	for step := part.Steps; ; step++ {
		if err := ctx.Err(); err != nil {
			part.Seconds = time.Since(start).Seconds()
			return metrics, nil, err
		}
		asked := time.Now()
		b, err := it.Next()
		part.DataWait += time.Since(asked).Seconds()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return metrics, nil, fmt.Errorf("epoch %d, batch %d: %w", epoch+1, step+1, err)
		}
		lr := f.state.LR * f.opts.Schedule.Factor(epoch*steps+step, steps, f.opts.Epochs*steps)
		r, err := f.learner.TrainStep(ctx, b, lr)
		if errors.Is(err, ErrSkipBatch) {
			continue // a lone last image; PyTorch users drop_last for the same reason
		}
		if err != nil {
			return metrics, nil, fmt.Errorf("epoch %d, batch %d: %w", epoch+1, step+1, err)
		}
		part.Steps = step + 1
		metrics.LR = lr // the epoch records the rate of its last batch
		part.LossSum += r.Loss * float64(r.Images)
		part.Correct += r.Correct
		part.Images += r.Images
		if now := time.Now(); now.Sub(lastEvent) >= f.opts.StepInterval {
			lastEvent = now
			elapsed := now.Sub(start).Seconds()
			f.send(StepEvent{Epoch: epoch + 1, Epochs: f.opts.Epochs, Step: step + 1, Steps: steps, Images: part.Images,
				Loss: part.LossSum / float64(part.Images), Acc: float64(part.Correct) / float64(part.Images),
				ImagesPerSec: float64(part.Images) / math.Max(elapsed, 1e-9), Elapsed: elapsed, LR: lr})
		}
	}
	if part.Images == 0 {
		return metrics, nil, errors.New("the training set gave no batches")
	}
	metrics.TrainLoss = part.LossSum / float64(part.Images)
	metrics.TrainAcc = float64(part.Correct) / float64(part.Images)
	trainSeconds := time.Since(start).Seconds()
	metrics.ImagesPerSec = float64(part.Images) / math.Max(trainSeconds, 1e-9)

	// With a weight average, validation (and so the best checkpoint)
	// reads the average; the raw weights are validated too, for the curve
	// beside it.
	av, averaging := f.learner.(Averager)
	averaging = averaging && av.Averaging()
	if averaging {
		raw := metrics
		if _, err := f.validate(ctx, valid, epoch, &raw); err != nil {
			part.Seconds = time.Since(start).Seconds()
			return metrics, nil, err
		}
		metrics.ValLossRaw, metrics.ValAccRaw = raw.ValLoss, raw.ValAcc
		av.UseAverage(true)
	}
	preds, err := f.validate(ctx, valid, epoch, &metrics)
	if averaging {
		av.UseAverage(false)
	}
	if err != nil {
		part.Seconds = time.Since(start).Seconds()
		return metrics, nil, err
	}
	metrics.Seconds = time.Since(start).Seconds()
	metrics.DataWaitSeconds = part.DataWait
	*part = PartialEpoch{}
	return metrics, preds, nil
}

// recalibrate has a Recalibrator recompute its statistics from the
// recalibration batches of the epoch, when the options give some.
func (f *fitter) recalibrate(ctx context.Context, epoch int) error {
	r, ok := f.learner.(Recalibrator)
	if !ok || f.opts.Recalibrate == nil {
		return nil
	}
	it := f.opts.Recalibrate.Epoch(ctx, epoch, 0)
	defer it.Close()
	var limited BatchIter = it
	if n := f.opts.RecalibrateBatches; n > 0 {
		limited = &firstBatches{BatchIter: it, left: n}
	}
	if err := r.Recalibrate(ctx, limited); err != nil {
		return fmt.Errorf("recalibrating before validation: %w", err)
	}
	return nil
}

// firstBatches ends an iteration after its first left batches.
type firstBatches struct {
	BatchIter
	left int
}

func (b *firstBatches) Next() (Batch, error) {
	if b.left <= 0 {
		return nil, io.EOF
	}
	b.left--
	return b.BatchIter.Next()
}

// validate evaluates the learner on valid, after recalibrating it when the
// options ask for that, so that each weights validated (the raw ones and
// the average) is evaluated with statistics of its own.
func (f *fitter) validate(ctx context.Context, valid BatchSource, epoch int, metrics *EpochMetrics) ([]ValPrediction, error) {
	if err := f.recalibrate(ctx, epoch); err != nil {
		return nil, err
	}
	waited := &f.state.Partial.DataWait
	it := valid.Epoch(ctx, epoch, 0)
	defer it.Close()
	var preds []ValPrediction
	var lossSum float64
	var correct, top5, n, k int
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		asked := time.Now()
		b, err := it.Next()
		*waited += time.Since(asked).Seconds()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("validation: %w", err)
		}
		r, err := f.learner.Eval(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("validation: %w", err)
		}
		k = len(r.Probs) / max(r.Images, 1)
		lossSum += r.Loss * float64(r.Images)
		correct += r.Correct
		n += r.Images
		var paths []string
		if p, ok := b.(Pather); ok {
			paths = p.Paths()
		}
		for i, y := range b.Labels() {
			probs := r.Probs[i*k : (i+1)*k]
			if inTopK(probs, y, 5) {
				top5++
			}
			vp := ValPrediction{Label: y, Probs: append([]float32(nil), probs...)}
			if i < len(paths) {
				vp.Path = paths[i]
			}
			preds = append(preds, vp)
		}
	}
	if n == 0 {
		return nil, errors.New("the validation set gave no batches")
	}
	metrics.ValLoss = lossSum / float64(n)
	metrics.ValAcc = float64(correct) / float64(n)
	if k > 5 {
		metrics.ValTop5 = float64(top5) / float64(n)
	}
	return preds, nil
}
