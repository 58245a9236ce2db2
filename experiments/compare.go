package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/reslab/reslab/resnet"
)

// Comparison is a saved view of several runs: comparisons/NAME.json.
type Comparison struct {
	Name    string    `json:"name"`
	Runs    []string  `json:"runs"`
	Metric  string    `json:"metric"`
	XAxis   string    `json:"x_axis,omitempty"` // epoch or time
	Smooth  bool      `json:"smooth,omitempty"`
	Log     bool      `json:"log_scale,omitempty"`
	Created time.Time `json:"created"`
}

var comparisonName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// SaveComparison writes comparisons/NAME.json beside the runs.
func (s *Store) SaveComparison(c Comparison) error {
	if !comparisonName.MatchString(c.Name) {
		return fmt.Errorf("%w: comparison name %q: use letters, digits, '.', '_' and '-' (up to 64)", ErrBadName, c.Name)
	}
	if len(c.Runs) == 0 {
		return errors.New("a comparison needs at least one run")
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC()
	}
	dir := filepath.Join(s.Dir, comparisonsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeJSONAtomic(filepath.Join(dir, c.Name+".json"), c)
}

// LoadComparison reads a saved comparison.
func (s *Store) LoadComparison(name string) (Comparison, error) {
	var c Comparison
	if !comparisonName.MatchString(name) {
		return c, fmt.Errorf("%w: comparison name %q: use letters, digits, '.', '_' and '-' (up to 64)", ErrBadName, name)
	}
	err := readJSON(filepath.Join(s.Dir, comparisonsDir, name+".json"), &c)
	if errors.Is(err, fs.ErrNotExist) {
		return c, fmt.Errorf("no saved comparison %q in %s", name, filepath.Join(s.Dir, comparisonsDir))
	}
	return c, err
}

// Comparisons lists saved comparisons by name; unreadable files are skipped.
func (s *Store) Comparisons() ([]Comparison, error) {
	entries, err := os.ReadDir(filepath.Join(s.Dir, comparisonsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Comparison
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			if c, err := s.LoadComparison(name); err == nil {
				out = append(out, c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// RunSummary is one row of a comparison table.
type RunSummary struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Data       string      `json:"data"` // the data folder as typed, or "demo data"
	Arch       string      `json:"arch"`
	Width      int         `json:"width"`
	Size       int         `json:"size"`
	Mode       resnet.Mode `json:"mode"`
	Head       string      `json:"head"`
	Params     int         `json:"params"`
	Status     State       `json:"status"`
	Epochs     int         `json:"epochs"`
	BestEpoch  int         `json:"best_epoch"`
	BestValAcc float64     `json:"best_val_acc"`
	// BestValAccCI is BestValAcc's 95 % Wilson interval over ValidImages.
	BestValAccCI [2]float64 `json:"best_val_acc_ci"`
	ValidImages  int        `json:"valid_images"`
	BestValLoss  float64    `json:"best_val_loss"`
	SecPerEpoch  float64    `json:"sec_per_epoch"`
	// Versus compares this run's best-epoch predictions with the first
	// run's, image by image; nil for the first run or when either run has
	// no predictions.
	Versus *Paired `json:"versus_first,omitempty"`
	Note   string  `json:"note,omitempty"`
}

// Summarize builds the comparison table; the first run is the reference of
// the McNemar tests.
func Summarize(runs []*Run) []RunSummary {
	out := make([]RunSummary, len(runs))
	var first []ImagePrediction
	for i, r := range runs {
		s := RunSummary{ID: r.ID, Name: r.Meta.Spec.Name, Data: r.Meta.Spec.DataLabel(), Arch: r.Meta.Spec.Arch.String(), Width: r.Meta.Spec.Width, Size: r.Meta.Spec.Size,
			Mode: r.Meta.Spec.Mode, Head: r.Meta.Spec.Head.String(), Params: r.Meta.Params, Status: r.Status.State,
			Epochs: len(r.Metrics)}
		var secs float64
		for _, m := range r.Metrics {
			secs += m.Seconds
		}
		s.BestValAcc, s.BestValLoss, _ = r.BestValues()
		s.ValidImages = r.Meta.ValidImages
		s.BestValAccCI[0], s.BestValAccCI[1] = AccuracyInterval(s.BestValAcc, s.ValidImages)
		if len(r.Metrics) > 0 {
			s.SecPerEpoch = secs / float64(len(r.Metrics))
		}
		s.BestEpoch = r.Status.BestEpoch
		preds, err := r.Predictions()
		switch {
		case i == 0:
			first = preds
		case r.Meta.Fingerprint != runs[0].Meta.Fingerprint || r.Meta.Spec.DataLabel() != runs[0].Meta.Spec.DataLabel():
			s.Note = "trained on other data than the first run"
		case err != nil || first == nil:
			s.Note = "no predictions to pair"
		default:
			if p, err := ComparePredictions(first, preds); err != nil {
				s.Note = err.Error()
			} else {
				s.Versus = &p
			}
		}
		out[i] = s
	}
	return out
}

// Series returns one metric of each run per epoch, for charts.
func Series(runs []*Run, metric string) ([][]float64, error) {
	out := make([][]float64, len(runs))
	for i, r := range runs {
		for _, m := range r.Metrics {
			v, err := m.Value(metric)
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], v)
		}
	}
	return out, nil
}
