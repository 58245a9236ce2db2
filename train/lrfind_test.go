package train

import (
	"context"
	"math"
	"testing"
)

// lossByLR is a learner whose loss depends on the rate only: a valley in
// log(rate), falling fastest at 1e-3 and blowing up past 1e-1.
type lossByLR struct{ steps int }

func (l *lossByLR) TrainStep(_ context.Context, _ Batch, lr float64) (StepResult, error) {
	l.steps++
	x := math.Log10(lr)
	loss := 2 - math.Tanh(x+3) // falls fastest at x = -3
	if x > -1 {
		loss += math.Pow(10, 3*(x+1)) // diverges
	}
	return StepResult{Loss: loss, Images: 1}, nil
}
func (l *lossByLR) Eval(context.Context, Batch) (EvalResult, error) { return EvalResult{}, nil }
func (l *lossByLR) SaveState() (LearnerState, error)                { return LearnerState{}, nil }
func (l *lossByLR) RestoreState(LearnerState) error                 { return nil }

func TestFindLRSuggestsSteepestDescent(t *testing.T) {
	l := &lossByLR{}
	res, err := FindLR(context.Background(), l, &sizedSource{sizes: []int{2, 2, 2, 2, 2, 2, 2}}, LRFindOptions{Start: 1e-6, End: 10, Steps: 300, Smooth: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "steepest descent" || res.Suggested < 3e-4 || res.Suggested > 3e-3 {
		t.Errorf("suggested %.3g by %q, want about 1e-3 by steepest descent", res.Suggested, res.Method)
	}
	if res.Stopped == "" || res.LRs[len(res.LRs)-1] > 1 {
		t.Errorf("the test did not stop when the loss diverged (last rate %.3g, %q)", res.LRs[len(res.LRs)-1], res.Stopped)
	}
	for i := 1; i < len(res.LRs); i++ {
		if r := res.LRs[i] / res.LRs[i-1]; math.Abs(r-res.LRs[1]/res.LRs[0]) > 1e-9 {
			t.Fatalf("rates not exponential at %d", i)
		}
	}
	if l.steps != len(res.LRs) {
		t.Errorf("%d steps trained, %d recorded", l.steps, len(res.LRs))
	}
}

// A flat curve gets no suggestion rather than one picked from noise.
func TestSteepestDescentOfAFlatCurve(t *testing.T) {
	var lrs, losses []float64
	for i := range 100 {
		lrs = append(lrs, math.Pow(10, -7+float64(i)/10))
		losses = append(losses, 2+0.001*math.Sin(float64(i)))
	}
	if lr, why := SteepestDescent(lrs, losses); lr != 0 || why == "steepest descent" {
		t.Errorf("flat curve: suggested %v (%s)", lr, why)
	}
}
