package experiments

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// Mean is a sample mean with its 95 % Student-t interval.
type Mean struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"` // NaN-free: equal to Mean when N < 2
	Hi   float64 `json:"hi"`
	SD   float64 `json:"sd"`
}

// MeanInterval is the mean of xs with a 95 % t interval (n-1 degrees of
// freedom); with fewer than two values the interval is the mean itself.
func MeanInterval(xs []float64) Mean {
	m := Mean{N: len(xs)}
	if len(xs) == 0 {
		return m
	}
	for _, x := range xs {
		m.Mean += x
	}
	m.Mean /= float64(len(xs))
	m.Lo, m.Hi = m.Mean, m.Mean
	if len(xs) < 2 {
		return m
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m.Mean) * (x - m.Mean)
	}
	m.SD = math.Sqrt(ss / float64(len(xs)-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(0.975)
	half := t * m.SD / math.Sqrt(float64(len(xs)))
	m.Lo, m.Hi = m.Mean-half, m.Mean+half
	return m
}

// Pooled is an arm's out-of-fold accuracy: every image predicted by the
// fold model that never trained on it, over all seeds.
type Pooled struct {
	Correct  int     `json:"correct"`
	Images   int     `json:"images"` // predictions pooled: images × seeds
	Accuracy float64 `json:"accuracy"`
	Lo       float64 `json:"lo"` // Wilson 95 %
	Hi       float64 `json:"hi"`
}

// ArmStats sums up one arm's finished runs.
type ArmStats struct {
	Arm   string `json:"arm"`
	Runs  int    `json:"runs"`
	Done  int    `json:"done"`
	Epoch Mean   `json:"epochs"`
	// BestAcc and BestLoss are each run's best validation value, chosen on
	// the same images they are measured on (optimistic); LastAcc is the
	// last epoch's, what the pooled figure and the paired tests use.
	BestAcc  Mean    `json:"best_val_acc"`
	BestLoss Mean    `json:"best_val_loss"`
	LastAcc  Mean    `json:"last_val_acc"`
	Seconds  Mean    `json:"seconds"`
	Pooled   *Pooled `json:"pooled_out_of_fold,omitempty"`
}

// ArmComparison pairs the best arm with another on the same images.
type ArmComparison struct {
	Best  string `json:"best"`
	Other string `json:"other"`
	// Paired is McNemar on every image (per seed) both predicted at their
	// last epochs; PAdjusted is Holm's correction over the comparisons.
	Paired    Paired  `json:"paired"`
	PAdjusted float64 `json:"p_adjusted"`
	// Diff is the best arm's last-epoch accuracy minus the other's, per
	// seed and fold, with its t interval.
	Diff    Mean   `json:"per_fold_difference"`
	Verdict string `json:"verdict"`
}

// SweepReport is what `sweep show` prints.
type SweepReport struct {
	Name        string          `json:"name"`
	Counts      SweepCounts     `json:"counts"`
	Arms        []ArmStats      `json:"arms"`
	Comparisons []ArmComparison `json:"comparisons"`
	Verdict     string          `json:"verdict"`
	Notes       []string        `json:"notes"`
}

// lastPredictions reads a run's last-epoch predictions (tests give their
// own).
type lastPredictions func(*Run) ([]ImagePrediction, error)

// Report computes a sweep's statistics from its finished runs. An arm is
// ranked by its pooled out-of-fold accuracy with folds, else by its mean
// last-epoch accuracy; the best is compared with every other arm by
// McNemar's test on the pooled predictions (Holm-corrected) and by the
// interval of the per-fold differences, and the evidence is called enough
// only when both agree.
func (sw *Sweep) Report(states []SweepRunState) SweepReport {
	return sw.report(states, (*Run).LastPredictions)
}

func (sw *Sweep) report(states []SweepRunState, read lastPredictions) SweepReport {
	rep := SweepReport{Name: sw.Name, Counts: Count(states), Arms: []ArmStats{}, Comparisons: []ArmComparison{}, Notes: []string{}}
	// Per arm: the finished runs' last predictions, keyed "seed/fold".
	preds := make([]map[string][]ImagePrediction, len(sw.Arms))
	lastAcc := make([]map[string]float64, len(sw.Arms))
	for a, arm := range sw.Arms {
		preds[a], lastAcc[a] = map[string][]ImagePrediction{}, map[string]float64{}
		st := ArmStats{Arm: arm.Label}
		var best, loss, last, secs, epochs []float64
		for _, s := range states {
			if s.Arm != a {
				continue
			}
			st.Runs++
			if !s.State.Finished() || s.Run == nil || len(s.Run.Metrics) == 0 {
				continue
			}
			st.Done++
			acc, l, _ := s.Run.BestValues()
			m := s.Run.Metrics[len(s.Run.Metrics)-1]
			best, loss, last = append(best, acc), append(loss, l), append(last, m.ValAcc)
			secs, epochs = append(secs, s.Run.Status.Seconds), append(epochs, float64(len(s.Run.Metrics)))
			key := fmt.Sprintf("%d/%d", s.Seed, s.Fold)
			lastAcc[a][key] = m.ValAcc
			if p, err := read(s.Run); err == nil {
				for i := range p {
					p[i].Path = fmt.Sprintf("seed %d:%s", s.Seed, p[i].Path)
				}
				preds[a][key] = p
			} else {
				rep.Notes = append(rep.Notes, fmt.Sprintf("run %s: %s; left out of the paired tests", s.Run.ID, OneLine(err.Error())))
			}
		}
		st.BestAcc, st.BestLoss, st.LastAcc = MeanInterval(best), MeanInterval(loss), MeanInterval(last)
		st.Seconds, st.Epoch = MeanInterval(secs), MeanInterval(epochs)
		if sw.Folds > 0 && st.Done > 0 {
			var p Pooled
			for _, ps := range preds[a] {
				for _, x := range ps {
					p.Images++
					if x.Correct() {
						p.Correct++
					}
				}
			}
			if p.Images > 0 {
				p.Accuracy = float64(p.Correct) / float64(p.Images)
				p.Lo, p.Hi = Wilson(p.Correct, p.Images)
				st.Pooled = &p
			}
		}
		rep.Arms = append(rep.Arms, st)
	}
	if sw.Folds > 0 && sw.Seeds > 1 {
		rep.Notes = append(rep.Notes, "pooled intervals count each image once per seed; the seeds' predictions of an image are not independent, so those intervals are somewhat too narrow")
	}
	score := func(a int) (float64, bool) {
		st := rep.Arms[a]
		if st.Pooled != nil {
			return st.Pooled.Accuracy, true
		}
		return st.LastAcc.Mean, st.Done > 0
	}
	bestArm, bestScore := -1, 0.0
	for a := range rep.Arms {
		if v, ok := score(a); ok && (bestArm < 0 || v > bestScore) {
			bestArm, bestScore = a, v
		}
	}
	switch {
	case bestArm < 0:
		rep.Verdict = "no run has finished yet"
		return rep
	case len(sw.Arms) == 1:
		rep.Verdict = fmt.Sprintf("one arm: %s", describeArm(rep.Arms[0]))
		return rep
	}
	for a := range sw.Arms {
		if a == bestArm || rep.Arms[a].Done == 0 {
			continue
		}
		c := ArmComparison{Best: sw.Arms[bestArm].Label, Other: sw.Arms[a].Label}
		var shared []string
		for key := range preds[bestArm] {
			if _, ok := preds[a][key]; ok {
				shared = append(shared, key)
			}
		}
		sort.Strings(shared)
		var pa, pb []ImagePrediction
		var diffs []float64
		for _, key := range shared {
			pa, pb = append(pa, preds[bestArm][key]...), append(pb, preds[a][key]...)
			diffs = append(diffs, lastAcc[bestArm][key]-lastAcc[a][key])
		}
		if len(shared) == 0 {
			c.Verdict = "no seed and fold finished in both arms yet"
			c.Paired.PValue, c.PAdjusted = 1, 1
		} else if p, err := ComparePredictions(pb, pa); err != nil {
			c.Verdict = err.Error()
			c.Paired.PValue, c.PAdjusted = 1, 1
		} else {
			c.Paired = p // A is the other arm, B the best: Difference = best − other
		}
		c.Diff = MeanInterval(diffs)
		rep.Comparisons = append(rep.Comparisons, c)
	}
	holm(rep.Comparisons)
	var decided, undecided []string
	for i := range rep.Comparisons {
		c := &rep.Comparisons[i]
		if c.Verdict != "" {
			continue
		}
		strong := c.PAdjusted < 0.05 && c.Diff.N >= 2 && c.Diff.Lo > 0
		switch {
		case strong:
			c.Verdict = fmt.Sprintf("%s beats %s: %+.1f points on the same images (McNemar p = %.2g after Holm; per-fold difference %+.1f, 95%% CI %+.1f to %+.1f)",
				c.Best, c.Other, 100*c.Paired.Difference, c.PAdjusted, 100*c.Diff.Mean, 100*c.Diff.Lo, 100*c.Diff.Hi)
			decided = append(decided, c.Other)
		default:
			c.Verdict = fmt.Sprintf("%s vs %s: %+.1f points, not enough evidence (McNemar p = %.2g after Holm; per-fold difference %+.1f, 95%% CI %+.1f to %+.1f)",
				c.Best, c.Other, 100*c.Paired.Difference, c.PAdjusted, 100*c.Diff.Mean, 100*c.Diff.Lo, 100*c.Diff.Hi)
			if c.Diff.N < 2 {
				c.Verdict = fmt.Sprintf("%s vs %s: %+.1f points, not enough evidence (McNemar p = %.2g after Holm; one paired seed/fold, so no interval)",
					c.Best, c.Other, 100*c.Paired.Difference, c.PAdjusted)
			}
			undecided = append(undecided, c.Other)
		}
	}
	best := sw.Arms[bestArm].Label
	switch {
	case len(undecided) == 0 && len(decided) > 0:
		rep.Verdict = fmt.Sprintf("%s wins: it beats every other arm, and the evidence is enough (both tests agree)", best)
	case len(decided) == 0:
		rep.Verdict = fmt.Sprintf("%s scores highest, but the evidence is not enough to tell it from %s; more seeds or folds (or more images) would be needed", best, strings.Join(undecided, ", "))
	default:
		rep.Verdict = fmt.Sprintf("%s scores highest: it beats %s, but cannot be told from %s on this evidence", best, strings.Join(decided, ", "), strings.Join(undecided, ", "))
	}
	if rep.Counts.Done < rep.Counts.Total {
		rep.Verdict += fmt.Sprintf(" (so far: %s)", rep.Counts)
	}
	return rep
}

// holm sets each comparison's Holm-adjusted p-value: the k-th smallest of
// m p-values is multiplied by m-k+1, kept monotone and capped at 1.
func holm(cs []ArmComparison) {
	idx := make([]int, 0, len(cs))
	for i := range cs {
		if cs[i].Verdict == "" {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return cs[idx[a]].Paired.PValue < cs[idx[b]].Paired.PValue })
	running := 0.0
	for k, i := range idx {
		adj := math.Min(1, cs[i].Paired.PValue*float64(len(idx)-k))
		running = math.Max(running, adj)
		cs[i].PAdjusted = running
	}
}

func describeArm(a ArmStats) string {
	if a.Pooled != nil {
		return fmt.Sprintf("%s: pooled out-of-fold accuracy %.1f%% (%.1f–%.1f) over %d predictions", a.Arm, 100*a.Pooled.Accuracy, 100*a.Pooled.Lo, 100*a.Pooled.Hi, a.Pooled.Images)
	}
	return fmt.Sprintf("%s: last-epoch accuracy %.1f%% (95%% CI %.1f–%.1f) over %d runs", a.Arm, 100*a.LastAcc.Mean, 100*a.LastAcc.Lo, 100*a.LastAcc.Hi, a.LastAcc.N)
}

// SweepTable is the report's per-arm table as text cells: what `sweep
// show` prints and the lab's sweep view draws. The out-of-fold column is
// there only when the sweep cross-validates.
func (sw *Sweep) SweepTable(rep SweepReport) (header []string, rows [][]string) {
	header = []string{"arm", "done", "best val acc (95% CI)", "last val acc (95% CI)"}
	if sw.Folds > 0 {
		pooled := "out-of-fold acc (Wilson)"
		for _, a := range rep.Arms {
			if a.Pooled != nil {
				pooled = fmt.Sprintf("out-of-fold acc of %d (Wilson)", a.Pooled.Images)
				break
			}
		}
		header = append(header, pooled)
	}
	header = append(header, "best val loss", "time/run")
	for _, a := range rep.Arms {
		row := []string{a.Arm, fmt.Sprintf("%d/%d", a.Done, a.Runs), formatMean(a.BestAcc), formatMean(a.LastAcc)}
		if sw.Folds > 0 {
			pooled := "-"
			if a.Pooled != nil {
				pooled = fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*a.Pooled.Accuracy, 100*a.Pooled.Lo, 100*a.Pooled.Hi)
			}
			row = append(row, pooled)
		}
		loss := "-"
		if a.BestLoss.N > 0 {
			loss = fmt.Sprintf("%.3f ± %.3f", a.BestLoss.Mean, (a.BestLoss.Hi-a.BestLoss.Lo)/2)
		}
		secs := "-"
		if a.Seconds.N > 0 {
			secs = Duration(a.Seconds.Mean)
		}
		rows = append(rows, append(row, loss, secs))
	}
	return header, rows
}

// formatMean writes an accuracy mean with its interval, cut to the 0–100 %
// an accuracy can take (a t interval over two runs can reach past both).
func formatMean(m Mean) string {
	switch m.N {
	case 0:
		return "-"
	case 1:
		return fmt.Sprintf("%.1f%% (one run)", 100*m.Mean)
	}
	return fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*m.Mean, 100*math.Max(m.Lo, 0), 100*math.Min(m.Hi, 1))
}

// ArmCurve is an arm's metric by epoch across its runs: the mean and its
// 95 % t interval at each epoch that at least one run reached.
type ArmCurve struct {
	Arm          string
	Epochs       []int
	Mean, Lo, Hi []float64
	Runs         []int // runs averaged at each epoch
}

// Curves averages each arm's runs (finished or not) epoch by epoch.
func (sw *Sweep) Curves(states []SweepRunState, metric string) []ArmCurve {
	out := make([]ArmCurve, len(sw.Arms))
	for a, arm := range sw.Arms {
		byEpoch := map[int][]float64{}
		last := 0
		for _, s := range states {
			if s.Arm != a || s.Run == nil {
				continue
			}
			for _, m := range s.Run.Metrics {
				if v, err := m.Value(metric); err == nil && !math.IsNaN(v) {
					byEpoch[m.Epoch] = append(byEpoch[m.Epoch], v)
					last = max(last, m.Epoch)
				}
			}
		}
		c := ArmCurve{Arm: arm.Label}
		for e := 1; e <= last; e++ {
			vs := byEpoch[e]
			if len(vs) == 0 {
				continue
			}
			m := MeanInterval(vs)
			c.Epochs, c.Mean, c.Lo, c.Hi, c.Runs = append(c.Epochs, e), append(c.Mean, m.Mean), append(c.Lo, m.Lo), append(c.Hi, m.Hi), append(c.Runs, m.N)
		}
		out[a] = c
	}
	return out
}
