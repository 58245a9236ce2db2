package train

// Event is something Fit reports on its events channel.
type Event interface{ event() }

// StepEvent reports progress within an epoch. It carries absolute counts, so
// a dropped step event loses nothing.
type StepEvent struct {
	Epoch, Epochs int // 1-based epoch and the planned total
	Step, Steps   int // batches done and batches per epoch
	Images        int // images trained this epoch
	Loss, Acc     float64
	ImagesPerSec  float64
	Elapsed       float64 // seconds since the epoch began
	LR            float64 // the learning rate of this batch
}

// EpochEvent reports a finished epoch.
type EpochEvent struct {
	Metrics EpochMetrics
	Epochs  int // the planned total, which a time budget may change
}

// CheckpointEvent reports a saved checkpoint: "best" when the monitored
// metric improved, "last" after every epoch.
type CheckpointEvent struct {
	Epoch  int
	Kind   string
	Metric string
	Value  float64
}

// DoneEvent is the last event before the channel closes.
type DoneEvent struct {
	Status  Status
	Err     error
	Best    Monitor
	History []EpochMetrics
}

func (StepEvent) event()       {}
func (EpochEvent) event()      {}
func (CheckpointEvent) event() {}
func (DoneEvent) event()       {}
