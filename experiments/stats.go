package experiments

import (
	"fmt"
	"math"
)

// McNemar compares two classifiers on the same images with McNemar's exact
// test. b counts images only A got right, c images only B got right; under
// the null hypothesis (equal error rates) the b+c discordant images split
// Binomial(b+c, 1/2), and the two-sided p-value is
// min(1, 2·P(X ≤ min(b, c))).
func McNemar(b, c int) float64 {
	n := b + c
	if n == 0 {
		return 1
	}
	k := min(b, c)
	// Sum binomial terms in log space: n can be in the thousands.
	var tail float64
	for i := 0; i <= k; i++ {
		tail += math.Exp(logChoose(n, i) - float64(n)*math.Ln2)
	}
	return math.Min(1, 2*tail)
}

func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// Paired is the outcome of comparing two runs image by image.
type Paired struct {
	Shared     int     `json:"shared"`     // images both runs predicted
	OnlyA      int     `json:"only_a"`     // right in A, wrong in B
	OnlyB      int     `json:"only_b"`     // right in B, wrong in A
	BothRight  int     `json:"both_right"` //
	BothWrong  int     `json:"both_wrong"` //
	PValue     float64 `json:"p_value"`    // McNemar's exact test
	AccuracyA  float64 `json:"accuracy_a"` // on the shared images
	AccuracyB  float64 `json:"accuracy_b"` //
	Difference float64 `json:"difference"` // AccuracyB − AccuracyA
}

// ComparePredictions pairs two runs' predictions by image path.
func ComparePredictions(a, b []ImagePrediction) (Paired, error) {
	byPath := make(map[string]ImagePrediction, len(b))
	for _, p := range b {
		byPath[p.Path] = p
	}
	var r Paired
	for _, pa := range a {
		pb, ok := byPath[pa.Path]
		if !ok {
			continue
		}
		if pa.Label != pb.Label {
			return r, fmt.Errorf("image %s has label %d in one run and %d in the other: the runs used different data", pa.Path, pa.Label, pb.Label)
		}
		r.Shared++
		ra, rb := pa.Correct(), pb.Correct()
		switch {
		case ra && rb:
			r.BothRight++
		case ra:
			r.OnlyA++
		case rb:
			r.OnlyB++
		default:
			r.BothWrong++
		}
	}
	if r.Shared == 0 {
		return r, fmt.Errorf("the runs share no validation images")
	}
	r.PValue = McNemar(r.OnlyA, r.OnlyB)
	r.AccuracyA = float64(r.BothRight+r.OnlyA) / float64(r.Shared)
	r.AccuracyB = float64(r.BothRight+r.OnlyB) / float64(r.Shared)
	r.Difference = r.AccuracyB - r.AccuracyA
	return r, nil
}

// Wilson is the 95 % Wilson score interval of a proportion: correct of n.
// Unlike the normal approximation it stays inside [0, 1] and is honest for
// the small validation sets of a lab (43 images give about ±13 points at
// 84 %). n = 0 gives [0, 1].
func Wilson(correct, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	const z = 1.959963984540054 // the 97.5th normal percentile
	p := float64(correct) / float64(n)
	nf := float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return math.Max(centre-half, 0), math.Min(centre+half, 1)
}

// AccuracyInterval is Wilson's interval for an accuracy measured on n
// images (the count of right ones recovered from the fraction).
func AccuracyInterval(acc float64, n int) (lo, hi float64) {
	return Wilson(int(math.Round(acc*float64(n))), n)
}

// FormatInterval writes an accuracy and its interval as "83.7% (69.9–91.9)".
func FormatInterval(acc float64, n int) string {
	if n <= 0 {
		return fmt.Sprintf("%.1f%%", 100*acc)
	}
	lo, hi := AccuracyInterval(acc, n)
	return fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*acc, 100*lo, 100*hi)
}
