package experiments

import (
	"context"
	"errors"
	"fmt"
)

// ErrSweepRunDone says a sweep's run has completed already: there is
// nothing to train.
var ErrSweepRunDone = errors.New("already completed")

// ErrSweepRunBusy says another process is training a sweep's run.
var ErrSweepRunBusy = errors.New("running in another process")

// StartSweepRun trains run index of the sweep, wherever it stands: a run
// that has not started starts, one that was stopped, interrupted or
// preempted resumes from its last checkpoint, and one that failed starts
// again in a new folder (the failed one is kept). It is what every way of
// executing a sweep calls for each run, in this process or in a Slurm
// task, so a requeued task continues instead of starting over.
func (r *Runner) StartSweepRun(ctx context.Context, sw *Sweep, index int) (*Session, error) {
	if index < 0 || index >= len(sw.Runs) {
		return nil, fmt.Errorf("%w: sweep %s has runs 0 to %d, not %d", ErrSweep, sw.Name, len(sw.Runs)-1, index)
	}
	runs, _, err := r.Store.List()
	if err != nil {
		return nil, err
	}
	st := sw.Progress(runs)[index]
	switch {
	case st.Run == nil || st.State == StateFailed:
		return r.start(ctx, st.Spec, &SweepRef{Name: sw.Name, Index: index})
	case st.State.Finished():
		return nil, fmt.Errorf("sweep %s run %d (%s): %w", sw.Name, index, st.Run.ID, ErrSweepRunDone)
	case st.State == StateRunning:
		return nil, fmt.Errorf("sweep %s run %d (%s): %w (pid %d)", sw.Name, index, st.Run.ID, ErrSweepRunBusy, st.Run.Status.PID)
	}
	return r.Resume(ctx, st.Run.ID)
}
