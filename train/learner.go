package train

import (
	"context"
	"errors"
)

// Learner is what Fit trains: anything that can take a step on a batch and
// evaluate one. resnet.Model is one; the loop knows nothing else about it.
type Learner interface {
	// TrainStep runs forward and backward on the batch and updates the
	// weights at learning rate lr. An error wrapping ErrSkipBatch skips the
	// batch; any other error fails the fit. A cancelled ctx may stop it
	// part-way (between micro-batches) with no update made.
	TrainStep(ctx context.Context, b Batch, lr float64) (StepResult, error)
	// Eval runs the batch in inference mode.
	Eval(ctx context.Context, b Batch) (EvalResult, error)
	// SaveState returns what the learner keeps besides weights and
	// optimiser moments, for a resumable checkpoint.
	SaveState() (LearnerState, error)
	// RestoreState puts back what SaveState returned.
	RestoreState(LearnerState) error
}

// LearnerState is the part of a learner's state that travels inside the fit
// state: enough, with the weights and optimiser moments saved beside it, for
// a resumed fit to continue exactly as an uninterrupted one.
type LearnerState struct {
	RNG []byte `json:"rng"` // random generator state (dropout masks)
	// OptimizerSteps is the number of updates the optimiser has made (bias
	// correction depends on it). Its JSON name predates other optimisers.
	OptimizerSteps int `json:"adam_steps"`
}

// StepResult is what one training step measured, before the update.
type StepResult struct {
	Loss    float64 // mean loss over the batch
	Correct int     // images whose top-1 class was right
	Images  int
}

// EvalResult is what an evaluation pass measured.
type EvalResult struct {
	Loss    float64 // mean cross-entropy
	Correct int
	Images  int
	// Probs holds softmax probabilities, Images×Classes, row-major.
	Probs []float32
}

// Averager is a learner that keeps an average of its weights (an EMA):
// validation and the best checkpoint use the average when Averaging says
// there is one. UseAverage(true) swaps it in, UseAverage(false) back.
type Averager interface {
	Averaging() bool
	UseAverage(on bool)
}

// EpochStarter is a learner whose training changes with the epoch (a
// fine-tune that unfreezes its backbone after some epochs): Fit tells it
// each epoch, a resumed one included, before its first batch.
type EpochStarter interface {
	StartEpoch(epoch int)
}

// Recalibrator is a learner whose inference statistics (BatchNorm's running
// mean and variance) can be recomputed for its current weights from a pass
// over batches. With FitOptions.Recalibrate set, Fit has it read those
// batches before every validation (and again with the weight average in,
// when there is one), so validation and the checkpoints see statistics of
// the weights validated, at the size validated.
type Recalibrator interface {
	Recalibrate(ctx context.Context, batches BatchIter) error
}

// ErrSkipBatch marks a batch the learner cannot train on and the loop
// skips, such as a lone last image under BatchNorm (PyTorch users drop_last
// for the same reason).
var ErrSkipBatch = errors.New("batch skipped")
