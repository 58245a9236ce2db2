package experiments

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/reslab/reslab/internal/atomicfile"
	"github.com/reslab/reslab/train"
)

// ImagePrediction is one row of predictions.csv: a validation image at the
// run's best epoch.
type ImagePrediction struct {
	Path  string
	Label int
	Top   []int     // classes, most probable first (up to 5)
	Probs []float64 // their probabilities
}

// Correct says whether the top class is the true one.
func (p ImagePrediction) Correct() bool { return len(p.Top) > 0 && p.Top[0] == p.Label }

// SavePredictions writes predictions.csv (the best epoch's) atomically:
// path, label, then class and probability for the top five.
func (w *RunWriter) SavePredictions(preds []train.ValPrediction) error {
	return w.savePredictions(PredictionsFile, preds)
}

// SaveLastPredictions writes last_predictions.csv, the latest epoch's, in
// the same form: what a cross-validation pools, since the best epoch is
// chosen on the very images it would be scored on.
func (w *RunWriter) SaveLastPredictions(preds []train.ValPrediction) error {
	return w.savePredictions(LastPredictionsFile, preds)
}

func (w *RunWriter) savePredictions(name string, preds []train.ValPrediction) error {
	return atomicfile.Write(w.Path(name), func(f *os.File) error {
		cw := csv.NewWriter(f)
		header := []string{"path", "label"}
		for i := 1; i <= 5; i++ {
			header = append(header, fmt.Sprintf("top%d", i), fmt.Sprintf("prob%d", i))
		}
		cw.Write(header)
		for _, p := range preds {
			row := []string{p.Path, strconv.Itoa(p.Label)}
			for _, c := range train.TopK(p.Probs, 5) {
				row = append(row, strconv.Itoa(c), strconv.FormatFloat(float64(p.Probs[c]), 'f', 6, 32))
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	})
}

// Predictions reads the run's predictions.csv (its best epoch's).
func (r *Run) Predictions() ([]ImagePrediction, error) { return r.readPredictions(PredictionsFile) }

// LastPredictions reads last_predictions.csv (its latest epoch's).
func (r *Run) LastPredictions() ([]ImagePrediction, error) {
	return r.readPredictions(LastPredictionsFile)
}

func (r *Run) readPredictions(name string) ([]ImagePrediction, error) {
	path := r.Path(name)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("run %s has no predictions yet: %w", r.ID, err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []ImagePrediction
	for i, row := range rows {
		if i == 0 {
			continue
		}
		if len(row) < 4 || len(row)%2 != 0 {
			return nil, fmt.Errorf("%s line %d: want path, label and class/probability pairs", path, i+1)
		}
		p := ImagePrediction{Path: row[0]}
		if p.Label, err = strconv.Atoi(row[1]); err != nil {
			return nil, fmt.Errorf("%s line %d: label: %w", path, i+1, err)
		}
		for j := 2; j+1 < len(row); j += 2 {
			c, err1 := strconv.Atoi(row[j])
			pr, err2 := strconv.ParseFloat(row[j+1], 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%s line %d: bad class or probability", path, i+1)
			}
			p.Top = append(p.Top, c)
			p.Probs = append(p.Probs, pr)
		}
		out = append(out, p)
	}
	return out, nil
}

// Confusion is a confusion matrix: Counts[true][predicted].
type Confusion struct {
	Counts [][]int
}

// ConfusionMatrix tallies predictions over k classes.
func ConfusionMatrix(preds []ImagePrediction, k int) Confusion {
	c := Confusion{Counts: make([][]int, k)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, k)
	}
	for _, p := range preds {
		if p.Label >= 0 && p.Label < k && len(p.Top) > 0 && p.Top[0] >= 0 && p.Top[0] < k {
			c.Counts[p.Label][p.Top[0]]++
		}
	}
	return c
}

// ConfusedPair is an off-diagonal cell of a confusion matrix: Count
// images of class True predicted as Pred.
type ConfusedPair struct {
	True  int `json:"true"`
	Pred  int `json:"predicted"`
	Count int `json:"count"`
}

// MostConfused are the n largest off-diagonal cells, largest first (ties
// by class order).
func (c Confusion) MostConfused(n int) []ConfusedPair {
	var out []ConfusedPair
	for t, row := range c.Counts {
		for p, v := range row {
			if p != t && v > 0 {
				out = append(out, ConfusedPair{True: t, Pred: p, Count: v})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b ConfusedPair) int { return b.Count - a.Count })
	return out[:min(n, len(out))]
}

// WorstPredictions are the n wrong predictions made with the most
// confidence in the wrong class, most confident first: the images most
// worth looking at.
func WorstPredictions(preds []ImagePrediction, n int) []ImagePrediction {
	var wrong []ImagePrediction
	for _, p := range preds {
		if len(p.Top) > 0 && !p.Correct() {
			wrong = append(wrong, p)
		}
	}
	slices.SortStableFunc(wrong, func(a, b ImagePrediction) int { return cmp.Compare(b.Probs[0], a.Probs[0]) })
	return wrong[:min(n, len(wrong))]
}

// PerClassAccuracy is the recall of each class; NaN-free: a class with no
// images gets -1.
func (c Confusion) PerClassAccuracy() []float64 {
	out := make([]float64, len(c.Counts))
	for i, row := range c.Counts {
		total := 0
		for _, v := range row {
			total += v
		}
		if total == 0 {
			out[i] = -1
			continue
		}
		out[i] = float64(row[i]) / float64(total)
	}
	return out
}
