package experiments

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/reslab/reslab/train"
)

// rebuildStatus replaces a status.json that cannot be read (truncated,
// garbled, empty) with what the run's other files say: the epochs from
// metrics.jsonl, the best epoch by the spec's monitor, and running, which
// the reader turns into interrupted (so it resumes from its checkpoint)
// unless a live process holds the run. The rebuilt status is written by the
// next writer; reading changes nothing.
func (r *Run) rebuildStatus(cause error) {
	monitor := r.Meta.Spec.Monitor
	if monitor == "" {
		monitor = "val_loss"
	}
	best := train.Replay(r.Metrics, monitor, 0)
	st := RunStatus{State: StateRunning, Epochs: len(r.Metrics), BestEpoch: best.BestEpoch, Started: r.Meta.Created}
	for _, m := range r.Metrics {
		st.Seconds += m.Seconds
		if m.Epoch == best.BestEpoch {
			st.Best = &m
		}
	}
	if _, err := os.Stat(r.Path(BestWeightsFile)); err != nil {
		st.BestEpoch, st.Best = 0, nil
	}
	if fi, err := os.Stat(r.Path(MetricsFile)); err == nil {
		st.Updated = fi.ModTime().UTC()
	}
	r.Status = st
	r.Damage = append(r.Damage, StatusFile+" was unreadable ("+OneLine(cause.Error())+"); rebuilt from "+MetricsFile+" and the checkpoints")
}

// stagedPrefix marks a resume checkpoint written aside (saveResumePair).
const stagedPrefix = ".staged."

// removeTemporaries deletes the temporary files a killed process left in
// a run folder (".status.json.tmp-…" and the like, see atomicfile). Only
// the run's writer calls it, holding the run's lock, so no write of a live
// process is among them.
func removeTemporaries(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && (strings.HasPrefix(name, stagedPrefix) || strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}
