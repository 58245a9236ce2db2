package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
)

// LRFindOptions shape a learning-rate range test (Smith 2015, fastai's
// lr_find): the rate grows exponentially from Start to End over Steps
// batches while the training loss is recorded.
type LRFindOptions struct {
	Start, End float64 // default 1e-7 and 10
	Steps      int     // default 200
	// Smooth is the loss's exponential moving average weight (default
	// 0.98, bias-corrected, as fastai).
	Smooth float64
	// DivergeFactor stops the test once the smoothed loss exceeds the best
	// by this factor (default 4).
	DivergeFactor float64
}

// LRFindResult is the curve and the rate it suggests.
type LRFindResult struct {
	LRs    []float64 `json:"lrs"`
	Losses []float64 `json:"losses"` // smoothed
	// Suggested is the rate where the smoothed loss falls fastest against
	// log(rate) ("steepest descent", said in Method).
	Suggested float64 `json:"suggested"`
	Method    string  `json:"method"`
	// Stopped says why the test ended before Steps ("the loss diverged
	// at 2.1", or "" when it ran them all).
	Stopped string `json:"stopped,omitempty"`
}

// FindLR runs the range test on learner over batches of src (epoch after
// epoch as needed). The learner is trained by it: give it a copy, never a
// run's model.
func FindLR(ctx context.Context, learner Learner, src BatchSource, o LRFindOptions) (LRFindResult, error) {
	if o.Start <= 0 {
		o.Start = 1e-7
	}
	if o.End <= o.Start {
		o.End = 10
	}
	if o.Steps < 2 {
		o.Steps = 200
	}
	if o.Smooth <= 0 || o.Smooth >= 1 {
		o.Smooth = 0.98
	}
	if o.DivergeFactor <= 1 {
		o.DivergeFactor = 4
	}
	var res LRFindResult
	ratio := math.Pow(o.End/o.Start, 1/float64(o.Steps-1))
	avg, best := 0.0, math.Inf(1)
	epoch := 0
	it := src.Epoch(ctx, epoch, 0)
	defer func() { it.Close() }()
	for i := 0; i < o.Steps; i++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			it.Close()
			epoch++
			it = src.Epoch(ctx, epoch, 0)
			if b, err = it.Next(); err != nil {
				return res, fmt.Errorf("lr-find: the data gives no batches: %w", err)
			}
		} else if err != nil {
			return res, err
		}
		lr := o.Start * math.Pow(ratio, float64(i))
		r, err := learner.TrainStep(ctx, b, lr)
		if errors.Is(err, ErrSkipBatch) {
			continue
		}
		if err != nil {
			if len(res.LRs) > 0 { // a rate so high the weights overflowed
				res.Stopped = fmt.Sprintf("training failed at rate %.3g (%v)", lr, err)
				break
			}
			return res, err
		}
		avg = o.Smooth*avg + (1-o.Smooth)*r.Loss
		smoothed := avg / (1 - math.Pow(o.Smooth, float64(len(res.LRs)+1)))
		res.LRs = append(res.LRs, lr)
		res.Losses = append(res.Losses, smoothed)
		best = math.Min(best, smoothed)
		if math.IsNaN(smoothed) || smoothed > o.DivergeFactor*best {
			res.Stopped = fmt.Sprintf("the loss diverged at rate %.3g", lr)
			break
		}
	}
	res.Suggested, res.Method = SteepestDescent(res.LRs, res.Losses)
	return res, nil
}

// SteepestDescent is the rate at which loss falls fastest against
// log(rate), leaving out the first tenth (the average is still settling)
// and the points after the minimum (where it diverges). It returns 0 when
// the curve is too short.
func SteepestDescent(lrs, losses []float64) (float64, string) {
	n := len(losses)
	if n < 5 {
		return 0, "too few steps for a suggestion"
	}
	lo := n / 10
	hi := lo
	for i := lo; i < n; i++ {
		if losses[i] < losses[hi] {
			hi = i
		}
	}
	// A curve that hardly fell (too few steps, or a range that misses the
	// useful rates) has no descent worth pointing at, only noise.
	if losses[lo]-losses[hi] < 0.02*math.Abs(losses[lo]) {
		return 0, "the loss fell less than 2% before it rose: try more --steps or another --start/--end"
	}
	// The slope over a window of a twentieth of the curve: a batch's loss
	// is noisy even after the moving average.
	k := max(n/20, 1)
	best, at := math.Inf(1), -1
	for i := max(lo, k); i <= hi && i+k < n; i++ {
		g := (losses[i+k] - losses[i-k]) / (math.Log(lrs[i+k]) - math.Log(lrs[i-k]))
		if g < best {
			best, at = g, i
		}
	}
	if at < 0 || best >= 0 {
		return 0, "the loss never fell"
	}
	return lrs[at], "steepest descent"
}
