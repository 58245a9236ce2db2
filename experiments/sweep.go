package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// A sweep is a question asked with repeated runs: one arm per combination
// of its axes' values (depth × learning rate, say), each trained with
// several seeds and, with cross-validation, once per fold. Its file,
// sweeps/NAME.json beside the runs, holds the plan: the axes, the arms and
// every run's spec. It is written once when the sweep is made (and when a
// Slurm job is recorded); which runs exist and how far they got is read
// from the run folders, which name their sweep and index in spec.json, so
// runs written by other processes (local jobs, Slurm tasks) never race on
// the sweep's file.

// SweepRef is a run's place in a sweep.
type SweepRef struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// Axis is one grid dimension: a train flag and the values it takes.
type Axis struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// Arm is one combination of the axes' values with the spec it gives
// (before seeds and folds).
type Arm struct {
	Label  string   `json:"label"`  // "arch=resnet18 lr=0.001"; "base" with no axes
	Values []string `json:"values"` // one per axis
	Spec   Spec     `json:"spec"`
}

// SweepRun is one planned run: an arm with one seed and, when
// cross-validating, one fold.
type SweepRun struct {
	Index int   `json:"index"`
	Arm   int   `json:"arm"`
	Seed  int64 `json:"seed"`
	Fold  int   `json:"fold"` // 0 without folds
	Spec  Spec  `json:"spec"`
}

// SlurmJob is a sweep's submission to Slurm.
type SlurmJob struct {
	JobID     string    `json:"job_id"`
	Script    string    `json:"script"` // the sbatch script, in the sweep's folder
	Submitted time.Time `json:"submitted"`
	Partition string    `json:"partition,omitempty"`
}

// Sweep is sweeps/NAME.json.
type Sweep struct {
	Version  string     `json:"reslab_version"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	Axes     []Axis     `json:"axes"`
	Arms     []Arm      `json:"arms"`
	Seeds    int        `json:"seeds"`
	Folds    int        `json:"folds"` // 0: the data's own validation split
	FoldSeed int64      `json:"fold_seed"`
	Runs     []SweepRun `json:"runs"`
	Slurm    []SlurmJob `json:"slurm"` // every submission, latest last
}

// ErrSweep marks a sweep that cannot be planned as asked.
var ErrSweep = errors.New("invalid sweep")

// ErrNoSweep marks a sweep name with no sweep file.
var ErrNoSweep = errors.New("no such sweep")

// MaxSweepRuns bounds a sweep's expansion: a typo in a grid should not
// plan a million runs.
const MaxSweepRuns = 10000

// NewSweep expands arms × seeds × folds into runs. Seeds are the arm's own
// seed plus 0 … seeds-1; every run of the sweep uses the same fold
// assignment (foldSeed), so arms are compared on the same images. Runs are
// ordered seed by seed, fold by fold, arm by arm: every len(arms) runs
// completed add one paired comparison, so a sweep stopped early still
// answers something.
func NewSweep(name string, axes []Axis, arms []Arm, seeds, folds int, foldSeed int64) (*Sweep, error) {
	if !comparisonName.MatchString(name) {
		return nil, fmt.Errorf("%w: sweep name %q: use letters, digits, '.', '_' and '-' (up to 64)", ErrBadName, name)
	}
	if len(arms) == 0 {
		return nil, fmt.Errorf("%w: no arms", ErrSweep)
	}
	if seeds < 1 {
		return nil, fmt.Errorf("%w: --seeds %d: want at least 1", ErrSweep, seeds)
	}
	if folds == 1 || folds < 0 {
		return nil, fmt.Errorf("%w: --folds %d: want 2 or more (or 0: no cross-validation)", ErrSweep, folds)
	}
	foldsEach := max(folds, 1)
	if n := len(arms) * seeds * foldsEach; n > MaxSweepRuns {
		return nil, fmt.Errorf("%w: %d arms × %d seeds × %d folds is %d runs; at most %d", ErrSweep, len(arms), seeds, foldsEach, n, MaxSweepRuns)
	}
	sw := &Sweep{Version: Version, Name: name, Created: time.Now().UTC(), Axes: axes, Arms: arms,
		Seeds: seeds, Folds: folds, FoldSeed: foldSeed, Slurm: []SlurmJob{}}
	for s := range seeds {
		for f := range foldsEach {
			for a, arm := range arms {
				spec := arm.Spec
				spec.Seed = arm.Spec.Seed + int64(s)
				if folds > 0 {
					spec.Folds, spec.Fold, spec.FoldSeed = folds, f, foldSeed
				}
				spec.Name = sw.runName(arm, spec)
				if err := spec.Validate(); err != nil {
					return nil, fmt.Errorf("%w: arm %s: %w", ErrSweep, arm.Label, err)
				}
				sw.Runs = append(sw.Runs, SweepRun{Index: len(sw.Runs), Arm: a, Seed: spec.Seed, Fold: spec.Fold, Spec: spec})
			}
		}
	}
	return sw, nil
}

// runName labels a sweep's run: the sweep, the arm's values, the seed
// when there are several and the fold. The depth is left out: every list
// and legend shows a run's depth beside its name.
func (sw *Sweep) runName(arm Arm, spec Spec) string {
	parts := []string{sw.Name}
	for i, a := range sw.Axes {
		if a.Key != "arch" && i < len(arm.Values) {
			parts = append(parts, a.Key+"="+arm.Values[i])
		}
	}
	if sw.Seeds > 1 {
		parts = append(parts, fmt.Sprintf("s%d", spec.Seed))
	}
	if spec.Folds > 0 {
		parts = append(parts, fmt.Sprintf("f%d", spec.Fold+1))
	}
	return strings.Join(parts, " ")
}

// baseArm is the label of a sweep's only arm when it has no axes (seeds or
// folds of one recipe).
const baseArm = "base"

// ArmLabel writes an arm's values as "key=value key=value".
func ArmLabel(axes []Axis, values []string) string {
	if len(axes) == 0 {
		return baseArm
	}
	parts := make([]string, len(axes))
	for i, a := range axes {
		parts[i] = a.Key + "=" + values[i]
	}
	return strings.Join(parts, " ")
}

// Combinations lists every combination of the axes' values, the last axis
// varying fastest.
func Combinations(axes []Axis) [][]string {
	out := [][]string{{}}
	for _, a := range axes {
		var next [][]string
		for _, prefix := range out {
			for _, v := range a.Values {
				next = append(next, append(append([]string(nil), prefix...), v))
			}
		}
		out = next
	}
	return out
}

// SweepDir is the sweep's folder beside its file: the Slurm scripts, and
// the task logs in its logs/ folder.
func (s *Store) SweepDir(name string) string { return filepath.Join(s.Dir, sweepsDir, name) }

// SweepLogs is the folder of the sweep's task logs (local jobs and Slurm
// array tasks).
func (s *Store) SweepLogs(name string) string { return filepath.Join(s.SweepDir(name), "logs") }

// SweepFile is the sweep's plan, sweeps/NAME.json.
func (s *Store) SweepFile(name string) string { return filepath.Join(s.Dir, sweepsDir, name+".json") }

// CreateSweep saves a new sweep; a sweep of that name must not exist.
func (s *Store) CreateSweep(sw *Sweep) error {
	if _, err := os.Stat(s.SweepFile(sw.Name)); err == nil {
		return fmt.Errorf("%w: a sweep named %s exists (%s): continue it with 'reslab sweep resume %s' or choose another --name",
			ErrSweep, sw.Name, s.SweepFile(sw.Name), sw.Name)
	}
	return s.SaveSweep(sw)
}

// SaveSweep writes sweeps/NAME.json atomically.
func (s *Store) SaveSweep(sw *Sweep) error {
	if !comparisonName.MatchString(sw.Name) {
		return fmt.Errorf("%w: sweep name %q: use letters, digits, '.', '_' and '-' (up to 64)", ErrBadName, sw.Name)
	}
	if err := os.MkdirAll(s.SweepDir(sw.Name), 0o755); err != nil {
		return fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	return writeJSONAtomic(s.SweepFile(sw.Name), sw)
}

// LoadSweep reads sweeps/NAME.json.
func (s *Store) LoadSweep(name string) (*Sweep, error) {
	if !comparisonName.MatchString(name) {
		return nil, fmt.Errorf("%w: sweep name %q: use letters, digits, '.', '_' and '-' (up to 64)", ErrBadName, name)
	}
	var sw Sweep
	err := readJSON(s.SweepFile(name), &sw)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %q in %s: 'reslab sweep list' lists them", ErrNoSweep, name, filepath.Join(s.Dir, sweepsDir))
	}
	if err != nil {
		return nil, err
	}
	if len(sw.Runs) == 0 || len(sw.Arms) == 0 {
		return nil, fmt.Errorf("%w: %s lists no runs", ErrSweep, s.SweepFile(name))
	}
	for i, r := range sw.Runs {
		if r.Index != i || r.Arm < 0 || r.Arm >= len(sw.Arms) {
			return nil, fmt.Errorf("%w: %s: run %d is damaged (index %d, arm %d of %d)", ErrSweep, s.SweepFile(name), i, r.Index, r.Arm, len(sw.Arms))
		}
	}
	return &sw, nil
}

// Sweeps lists the saved sweeps by name, with those that cannot be read.
func (s *Store) Sweeps() ([]*Sweep, []BadRun, error) {
	entries, err := os.ReadDir(filepath.Join(s.Dir, sweepsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var out []*Sweep
	var bad []BadRun
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		sw, err := s.LoadSweep(name)
		if err != nil {
			bad = append(bad, BadRun{Name: e.Name(), Reason: err.Error()})
			continue
		}
		out = append(out, sw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, bad, nil
}

// SweepRunState is one planned run as the runs folder has it.
type SweepRunState struct {
	SweepRun
	// Run is the run folder training it; nil while queued.
	Run *Run
	// State is the run's state, StateQueued before it starts.
	State State
	// Attempts counts run folders for this index (a failed run started
	// again leaves its folder).
	Attempts int
}

// Progress finds each planned run's run folder among runs (Store.List):
// the finished one when there is one, else the newest.
func (sw *Sweep) Progress(runs []*Run) []SweepRunState {
	out := make([]SweepRunState, len(sw.Runs))
	for i, r := range sw.Runs {
		out[i] = SweepRunState{SweepRun: r, State: StateQueued}
	}
	for _, r := range runs { // newest first
		ref := r.Meta.Sweep
		if ref == nil || ref.Name != sw.Name || ref.Index < 0 || ref.Index >= len(out) {
			continue
		}
		st := &out[ref.Index]
		st.Attempts++
		if st.Run == nil || (!st.State.Finished() && r.Status.State.Finished()) {
			st.Run, st.State = r, r.Status.State
		}
	}
	return out
}

// SweepCounts tallies a sweep's runs by state.
type SweepCounts struct {
	Done      int `json:"done"`
	Running   int `json:"running"`
	Queued    int `json:"queued"`
	Resumable int `json:"resumable"` // stopped or interrupted
	Failed    int `json:"failed"`
	Total     int `json:"total"`
}

// Count tallies states.
func Count(states []SweepRunState) SweepCounts {
	c := SweepCounts{Total: len(states)}
	for _, s := range states {
		switch {
		case s.State.Finished():
			c.Done++
		case s.State == StateRunning:
			c.Running++
		case s.State == StateQueued:
			c.Queued++
		case s.State == StateFailed:
			c.Failed++
		default:
			c.Resumable++
		}
	}
	return c
}

// String is "3/12 done, 1 running, 8 queued".
func (c SweepCounts) String() string {
	parts := []string{fmt.Sprintf("%d/%d done", c.Done, c.Total)}
	for _, p := range []struct {
		n    int
		what string
	}{{c.Running, "running"}, {c.Resumable, "to resume"}, {c.Queued, "queued"}, {c.Failed, "failed"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return strings.Join(parts, ", ")
}
