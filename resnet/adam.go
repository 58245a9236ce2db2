package resnet

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/reslab/reslab/resnet/kernel"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Adam is the Adam optimiser with optional decoupled weight decay (AdamW),
// following PyTorch's torch.optim.Adam/AdamW update exactly. It implements
// gorgonia.Solver. reslab carries its own because gorgonia's AdamSolver keeps
// its moments private (a run could not be resumed) and allocates four
// temporary tensors per parameter per step, and gorgonia's AdamW computes the
// decayed weights into a new tensor and never applies them.
type Adam struct {
	LR          float64 // learning rate; may change between steps
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64 // decoupled (AdamW); 0 disables it

	steps int
	state map[string]*adamMoments
}

type adamMoments struct{ m, v []float32 }

// NewAdam returns Adam with PyTorch's defaults (β 0.9/0.999, ε 1e-8).
func NewAdam(lr, weightDecay float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, state: map[string]*adamMoments{}}
}

// Steps is the number of updates made so far.
func (a *Adam) Steps() int { return a.steps }

// Step updates every parameter from its gradient and zeroes the gradient.
// Parameters are matched to their moments by name, so the set may change
// (frozen to finetune) without confusing them. An update that leaves a
// weight NaN or infinite (an overflowing step) returns an error wrapping
// ErrNonFinite naming it; the check rides on the update's own pass over the
// weights, which is memory bound, so it costs nothing measurable.
func (a *Adam) Step(model []G.ValueGrad) error {
	a.steps++
	c1 := 1 - math.Pow(a.Beta1, float64(a.steps))
	c2 := 1 - math.Pow(a.Beta2, float64(a.steps))
	stepSize := float32(a.LR / c1)
	invC2 := float32(1 / math.Sqrt(c2))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	eps := float32(a.Eps)
	decay := float32(1)
	if a.WeightDecay != 0 {
		decay = float32(1 - a.LR*a.WeightDecay)
	}
	var firstBad error
	for i, vg := range model {
		p, ok := vg.(*Param)
		if !ok {
			return fmt.Errorf("adam: parameter %d is %T, want *resnet.Param", i, vg)
		}
		w, g := p.Data(), kernel.Floats(p.gradient())
		st := a.moments(p.Name, len(w))
		var bad atomic.Int64
		bad.Store(-1)
		kernel.ParallelFor(len(w), kernel.ElementGrain, func(lo, hi int) {
			w, g, m, v := w[lo:hi], g[lo:hi], st.m[lo:hi], st.v[lo:hi]
			g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
			nonFinite := false
			for j, gj := range g {
				mj := b1*m[j] + (1-b1)*gj
				vj := b2*v[j] + (1-b2)*gj*gj
				m[j], v[j] = mj, vj
				wj := w[j]*decay - stepSize*mj/(float32(math.Sqrt(float64(vj)))*invC2+eps)
				w[j] = wj
				g[j] = 0
				nonFinite = nonFinite || wj-wj != 0 // NaN or ±Inf
			}
			if nonFinite {
				bad.CompareAndSwap(-1, int64(lo+firstNonFinite(w)))
			}
		})
		if j := bad.Load(); j >= 0 && firstBad == nil {
			firstBad = fmt.Errorf("%w: %s[%d] became %v; lower the learning rate", ErrNonFinite, p.Name, j, p.Data()[j])
		}
	}
	return firstBad
}

func (a *Adam) moments(name string, n int) *adamMoments {
	st, ok := a.state[name]
	if !ok || len(st.m) != n {
		st = &adamMoments{m: make([]float32, n), v: make([]float32, n)}
		a.state[name] = st
	}
	return st
}

// stateTensors exports the moments as named tensors for a checkpoint.
func (a *Adam) stateTensors() map[string]*tensor.Dense {
	out := make(map[string]*tensor.Dense, 2*len(a.state))
	for name, st := range a.state {
		out[name+".exp_avg"] = tensor.New(tensor.WithShape(len(st.m)), tensor.WithBacking(st.m))
		out[name+".exp_avg_sq"] = tensor.New(tensor.WithShape(len(st.v)), tensor.WithBacking(st.v))
	}
	return out
}
