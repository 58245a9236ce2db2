package experiments

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/reslab/reslab/internal/atomicfile"
	"github.com/reslab/reslab/train"
)

// Version is written into every run so later releases know what wrote it.
const Version = "0.1.0"

// File names inside a run folder: the on-disk contract the README's "Runs on
// disk" describes; renaming one strands every saved run.
const (
	SpecFile        = "spec.json"
	StatusFile      = "status.json"
	MetricsFile     = "metrics.jsonl"
	BestWeightsFile = "best.safetensors"
	LastWeightsFile = "last.safetensors"
	LastOptimFile   = "last.optim.safetensors"
	PredictionsFile = "predictions.csv"
	// LastPredictionsFile is the latest epoch's validation predictions.
	LastPredictionsFile = "last_predictions.csv"
	lockFile            = "run.lock"
	comparisonsDir      = "comparisons"
	sweepsDir           = "sweeps"
)

// RunMeta is spec.json: the spec plus what the run learned about its data
// when it started.
type RunMeta struct {
	Version     string    `json:"reslab_version"`
	Spec        Spec      `json:"spec"`
	Classes     []string  `json:"classes"`     // class folder names; label i is Classes[i]
	ClassNames  []string  `json:"class_names"` // display names
	Fingerprint string    `json:"data_fingerprint"`
	TrainImages int       `json:"train_images"`
	ValidImages int       `json:"valid_images"`
	Params      int       `json:"params"`
	Created     time.Time `json:"created"`
	// Arithmetic is the convolutions, matrix products and workers the run
	// started under (resnet.Arithmetic), followed by "; then …" for each
	// resume under others; empty for runs from before it was kept.
	Arithmetic string `json:"arithmetic,omitempty"`
	// JPEGDecoder is the decoder of the run's JPEG files
	// (augment.JPEGDecoder.Name: "libjpeg-turbo" or "go"), followed by
	// "; then …" for each resume under the other; empty for runs from
	// before it was kept.
	JPEGDecoder string `json:"jpeg_decoder,omitempty"`
	// Sweep is the sweep and the place in it this run trains, nil for a
	// run of its own. It is how a sweep finds its runs: runs written by
	// other processes (local jobs, Slurm tasks) never rewrite the sweep's
	// file.
	Sweep *SweepRef `json:"sweep,omitempty"`
}

// State is where a run stands on disk: how its fit ended (a train.Status),
// or one of the states only a stored run has.
type State string

// Run states. The first four are the fit outcomes of train.Status, spelled
// the same, so State(result.Status) converts.
const (
	StateCompleted          = State(train.StatusCompleted)
	StateEarlyStopped       = State(train.StatusEarlyStopped)
	StateStopped            = State(train.StatusStopped) // cancelled; resumable
	StateFailed             = State(train.StatusFailed)
	StateRunning      State = "running"
	StateInterrupted  State = "interrupted" // the process died; resumable
	StateQueued       State = "queued"      // waiting in a sweep
)

// Finished says whether a run in state s has trained to its end: completed
// or stopped early by its patience. Nothing is left to resume.
func (s State) Finished() bool { return s == StateCompleted || s == StateEarlyStopped }

// BestValues are the run's best validation accuracy and loss over its
// epochs, each judged by train's monitor rule; ok is false before the first
// epoch.
func (r *Run) BestValues() (acc, loss float64, ok bool) {
	if len(r.Metrics) == 0 {
		return 0, 0, false
	}
	return train.Replay(r.Metrics, "val_acc", 0).Best, train.Replay(r.Metrics, "val_loss", 0).Best, true
}

// RunStatus is status.json.
type RunStatus struct {
	State       State               `json:"state"`
	Epochs      int                 `json:"epochs_done"`
	BestEpoch   int                 `json:"best_epoch"`
	Best        *train.EpochMetrics `json:"best,omitempty"`
	Started     time.Time           `json:"started"`
	Updated     time.Time           `json:"updated"`
	Seconds     float64             `json:"seconds"` // training time over all sessions
	Error       string              `json:"error,omitempty"`
	PID         int                 `json:"pid,omitempty"`
	Skipped     int                 `json:"skipped_images,omitempty"`
	SkippedNote string              `json:"skipped_note,omitempty"`
}

// Run is a run folder read back.
type Run struct {
	ID      string
	Dir     string
	Meta    RunMeta
	Status  RunStatus
	Metrics []train.EpochMetrics
	// Damage says what was found damaged and worked around while reading
	// (a metrics line skipped, status.json rebuilt), one line each; a run
	// is read as far as it is whole, never dropped for one bad file but
	// its spec.
	Damage []string
}

// Store is a runs folder.
type Store struct {
	Dir string
}

// OpenStore uses dir (created if missing) as the runs folder.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("runs folder: %w", err)
	}
	return &Store{Dir: dir}, nil
}

// newRunID names a run so `ls` sorts by time and says what it is:
// 20261126-193000-r18-7f3a.
func newRunID(t time.Time, spec Spec) string {
	var b [2]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", t.Format("20060102-150405"), spec.Arch.Short(), hex.EncodeToString(b[:]))
}

// ShortID is a run id without its date, as screens and legends show it:
// 20261126-193000-r18-7f3a becomes 193000-r18-7f3a.
func ShortID(id string) string {
	if len(id) > 9 && id[8] == '-' {
		return id[9:]
	}
	return id
}

// RunWriter is the one process writing a run. It holds the run's lock (an
// flock, released by the kernel if the process dies), which is how readers
// tell a live run from one that was killed.
type RunWriter struct {
	Run
	lock *os.File
}

// Create makes a new run folder with its spec and a running status.
func (s *Store) Create(meta RunMeta) (*RunWriter, error) {
	meta.Version = Version
	meta.Created = time.Now().UTC()
	id := newRunID(meta.Created.Local(), meta.Spec)
	dir := filepath.Join(s.Dir, id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating run folder: %w", err)
	}
	w, err := lockRun(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	w.ID, w.Dir, w.Meta = id, dir, meta
	// A run that could not be written whole (a full disk) leaves no folder
	// behind to be listed forever.
	abandon := func(err error) (*RunWriter, error) {
		w.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating run %s: %w", id, err)
	}
	if err := writeJSONAtomic(filepath.Join(dir, SpecFile), meta); err != nil {
		return abandon(err)
	}
	w.Status = RunStatus{State: StateRunning, Started: meta.Created, PID: os.Getpid()}
	if err := w.SaveStatus(); err != nil {
		return abandon(err)
	}
	return w, nil
}

// OpenWriter takes over an existing run to resume it. It fails if another
// process holds the run.
func (s *Store) OpenWriter(id string) (*RunWriter, error) {
	run, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	w, err := lockRun(run.Dir)
	if err != nil {
		return nil, err
	}
	w.Run = *run
	w.Status.PID = os.Getpid()
	removeTemporaries(run.Dir)
	return w, nil
}

// ErrLocked marks a run another process is writing.
var ErrLocked = errors.New("run is in use by another reslab process")

func lockRun(dir string) (*RunWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking run: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	return &RunWriter{lock: f}, nil
}

// Close releases the run's lock.
func (w *RunWriter) Close() error {
	if w.lock == nil {
		return nil
	}
	err := w.lock.Close()
	w.lock = nil
	return err
}

// SaveMeta rewrites spec.json atomically (a run extended with more epochs).
func (w *RunWriter) SaveMeta() error {
	return writeJSONAtomic(filepath.Join(w.Dir, SpecFile), w.Meta)
}

// SaveStatus writes status.json atomically.
func (w *RunWriter) SaveStatus() error {
	w.Status.Updated = time.Now().UTC()
	return writeJSONAtomic(filepath.Join(w.Dir, StatusFile), w.Status)
}

// AppendMetrics appends one epoch to metrics.jsonl and fsyncs it, so an
// epoch reported is an epoch on disk. A write cut short (a full disk) is
// cut back off, so the next epoch never lands on the fragment.
func (w *RunWriter) AppendMetrics(m train.EpochMetrics) error {
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	path := filepath.Join(w.Dir, MetricsFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("appending metrics: %w", err)
	}
	end, err := wholeLinesEnd(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("appending metrics to %s: %w", path, err)
	}
	if _, err := f.WriteAt(append(line, '\n'), end); err != nil {
		f.Truncate(end)
		f.Close()
		return fmt.Errorf("appending metrics to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("appending metrics: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("appending metrics: %w", err)
	}
	w.Metrics = append(w.Metrics, m)
	return nil
}

// RewriteMetrics replaces metrics.jsonl (atomically) with history: how a
// resume puts the file back to the epochs its checkpoint knows, dropping
// later epochs, a line torn by a crash or a full disk, and damaged lines.
func (w *RunWriter) RewriteMetrics(history []train.EpochMetrics) error {
	w.Metrics = append([]train.EpochMetrics(nil), history...)
	var buf bytes.Buffer
	for _, m := range w.Metrics {
		line, _ := json.Marshal(m)
		buf.Write(append(line, '\n'))
	}
	return atomicfile.Write(filepath.Join(w.Dir, MetricsFile), func(f *os.File) error {
		_, err := f.Write(buf.Bytes())
		return err
	})
}

// wholeLinesEnd is the offset just past the last newline of f: where the
// next line goes, past any fragment a cut-short write left. metrics.jsonl
// holds a line per epoch, so reading it whole is cheap.
func wholeLinesEnd(f *os.File) (int64, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return 0, err
	}
	return int64(bytes.LastIndexByte(data, '\n') + 1), nil
}

// Path joins a file name to the run folder.
func (r *Run) Path(name string) string { return filepath.Join(r.Dir, name) }

// BadRun is a folder in the runs folder that is not a readable run.
type BadRun struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// List reads every run, newest first. Folders that are not runs, or whose
// files are damaged, are returned separately with the reason, so one bad
// folder never hides the good ones.
func (s *Store) List() ([]*Run, []BadRun, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading runs folder: %w", err)
	}
	var runs []*Run
	var bad []BadRun
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || reservedDir(e.Name()) {
			continue
		}
		r, err := s.read(e.Name())
		if err != nil {
			bad = append(bad, BadRun{Name: e.Name(), Reason: err.Error()})
			continue
		}
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ID > runs[j].ID })
	return runs, bad, nil
}

// reservedDir reports whether a folder of the runs folder holds saved
// comparisons or sweeps rather than a run.
func reservedDir(name string) bool { return name == comparisonsDir || name == sweepsDir }

// Signature sums up what List would read: every run folder's name and its
// status and metrics files' sizes and modification times, and the saved
// comparisons'. It changes when another process writes a run, so a screen
// can poll it cheaply (a few stats per run) and re-read only then.
func (s *Store) Signature() (uint64, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return 0, fmt.Errorf("reading runs folder: %w", err)
	}
	h := fnv.New64a()
	stat := func(path string) {
		if fi, err := os.Stat(path); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", path, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(s.Dir, e.Name())
		fmt.Fprintln(h, e.Name())
		if reservedDir(e.Name()) {
			stat(dir)
			continue
		}
		stat(filepath.Join(dir, StatusFile))
		stat(filepath.Join(dir, MetricsFile))
		stat(filepath.Join(dir, SpecFile))
	}
	return h.Sum64(), nil
}

// ErrNoRun marks a run id that matches no run.
var ErrNoRun = errors.New("no such run")

// ErrBadName marks a run or comparison name that could reach outside the
// runs folder, or names nothing.
var ErrBadName = errors.New("bad name")

// Load reads one run of the runs folder by its id, a unique prefix or
// suffix of one (the short id the screens show), its name (--name), or a
// path to its folder inside the runs folder. Any other path (with / or ..)
// is refused: runs are read and written only inside the runs folder.
func (s *Store) Load(id string) (*Run, error) {
	// A path to a run folder of this runs folder (tab completion gives
	// runs/ID) is that run; a path anywhere else is refused below.
	if strings.ContainsAny(id, `/\`) {
		abs, err1 := filepath.Abs(id)
		store, err2 := filepath.Abs(s.Dir)
		if err1 == nil && err2 == nil && filepath.Dir(abs) == store {
			id = filepath.Base(abs)
		}
	}
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.Contains(id, "..") {
		return nil, fmt.Errorf("%w: run %q: name a run of %s by its id, a unique part of it or its name ('reslab runs' lists them), not a path", ErrBadName, id, s.Dir)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, id, SpecFile)); err == nil {
		return s.read(id)
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("reading runs folder %s: %w", s.Dir, err)
	}
	var matches []string
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && !reservedDir(n) && !strings.HasPrefix(n, ".") &&
			(strings.HasPrefix(n, id) || strings.HasSuffix(n, id)) {
			matches = append(matches, n)
		}
	}
	if len(matches) == 0 {
		// A run's name, as given to --name.
		runs, _, _ := s.List()
		for _, r := range runs {
			if r.Meta.Spec.Name == id {
				matches = append(matches, r.ID)
			}
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("%w %q in %s: 'reslab runs' lists them", ErrNoRun, id, s.Dir)
	case 1:
		return s.read(matches[0])
	}
	return nil, fmt.Errorf("run %q is ambiguous in %s: it matches %s", id, s.Dir, strings.Join(matches, ", "))
}

// read loads a run folder, deriving "interrupted" for a run whose status
// says running while nobody holds its lock.
func (s *Store) read(name string) (*Run, error) {
	dir := filepath.Join(s.Dir, name)
	r := &Run{ID: name, Dir: dir}
	if err := readJSON(filepath.Join(dir, SpecFile), &r.Meta); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("not a reslab run: no %s", SpecFile)
		}
		return nil, fmt.Errorf("run %s: %s is damaged (%w): the run's settings are lost, so it cannot be shown or resumed; its weights are in %s, delete the folder when done", name, filepath.Join(dir, SpecFile), err, dir)
	}
	metrics, damage, err := readMetrics(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, err
	}
	r.Metrics, r.Damage = metrics, damage
	if err := readJSON(filepath.Join(dir, StatusFile), &r.Status); err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.rebuildStatus(err)
	}
	if r.Status.State == "" || r.Status.State == StateRunning {
		if !lockHeld(dir) {
			r.Status.State = StateInterrupted
		}
	}
	return r, nil
}

// lockHeld reports whether a live process holds the run's lock.
func lockHeld(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// readMetrics reads metrics.jsonl as far as it is whole: a last line
// without its newline (cut short by a crash or a full disk) and damaged
// lines are skipped and reported, never fatal.
func readMetrics(path string) (metrics []train.EpochMetrics, damage []string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i < len(data)-1 {
		damage = append(damage, fmt.Sprintf("%s: the last line was cut short (a crash or a full disk) and is skipped", MetricsFile))
		data = data[:i+1]
	}
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m train.EpochMetrics
		if err := json.Unmarshal(line, &m); err != nil {
			damage = append(damage, fmt.Sprintf("%s line %d is damaged and skipped: %v", MetricsFile, n+1, err))
			continue
		}
		metrics = append(metrics, m)
	}
	return metrics, damage, nil
}

// Delete removes a run folder. A run another process is writing is refused.
func (s *Store) Delete(id string) error {
	r, err := s.Load(id)
	if err != nil {
		return err
	}
	if lockHeld(r.Dir) {
		return fmt.Errorf("%w: %s", ErrLocked, r.ID)
	}
	return os.RemoveAll(r.Dir)
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(f *os.File) error {
		_, err := f.Write(append(data, '\n'))
		return err
	})
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}
