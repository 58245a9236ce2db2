package resnet

import (
	"fmt"
	"math"
	"sort"
	"sync/atomic"

	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/resnet/kernel/simd"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// OptimizerKind names an update rule.
type OptimizerKind string

// The update rules, each following PyTorch's torch.optim class of the same
// name exactly (tested against it): Adam with coupled L2 weight decay,
// AdamW with decoupled decay, SGD with momentum (optionally Nesterov) and
// coupled decay, the ResNet paper's optimiser.
const (
	OptAdam  OptimizerKind = "adam"
	OptAdamW OptimizerKind = "adamw"
	OptSGD   OptimizerKind = "sgd"
)

// ParseOptimizer reads adam, adamw or sgd.
func ParseOptimizer(s string) (OptimizerKind, error) {
	switch k := OptimizerKind(s); k {
	case OptAdam, OptAdamW, OptSGD:
		return k, nil
	}
	return "", fmt.Errorf("optimizer %q: want adam, adamw or sgd", s)
}

// OptimizerConfig is an update rule and its settings.
type OptimizerConfig struct {
	Kind        OptimizerKind
	WeightDecay float64 // 0 disables it
	// NoDecayNormBias leaves BatchNorm's γ and β and every bias out of the
	// weight decay, as timm and the "bag of tricks" recipes do.
	NoDecayNormBias bool
	Momentum        float64 // SGD
	Nesterov        bool    // SGD
	// ClipNorm scales the gradients down so their global L2 norm is at most
	// this (torch.nn.utils.clip_grad_norm_); 0 disables it.
	ClipNorm float64
	// BackboneLRMult scales the backbone's learning rate against the
	// head's (discriminative rates for fine-tuning); 0 means 1.
	BackboneLRMult float64
	Beta1, Beta2   float64 // Adam's; 0 means PyTorch's 0.9 and 0.999
	Eps            float64 // Adam's; 0 means 1e-8
}

// Optimizer applies an update rule to the model's parameters. It implements
// gorgonia.Solver. reslab carries its own because gorgonia's solvers keep
// their state private (a run could not be resumed), allocate temporaries per
// parameter per step, and its AdamW computes the decayed weights into a new
// tensor and never applies them.
type Optimizer struct {
	OptimizerConfig
	LR float64 // may change between steps (schedules)

	steps int
	// fresh marks parameters whose state was just created: SGD's momentum
	// buffer starts as the first gradient, as PyTorch's does.
	fresh map[string]bool
	// state holds each parameter's slots by name: exp_avg and exp_avg_sq
	// for Adam, momentum_buffer for SGD (PyTorch's names).
	state map[string]map[string][]float32
}

// NewOptimizer returns an optimiser at learning rate lr.
func NewOptimizer(cfg OptimizerConfig, lr float64) *Optimizer {
	if cfg.Kind == "" {
		cfg.Kind = OptAdam
	}
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	return &Optimizer{OptimizerConfig: cfg, LR: lr, state: map[string]map[string][]float32{}, fresh: map[string]bool{}}
}

// NewAdam returns Adam, or AdamW when weightDecay is set, with PyTorch's
// defaults (β 0.9/0.999, ε 1e-8).
func NewAdam(lr, weightDecay float64) *Optimizer {
	kind := OptAdam
	if weightDecay != 0 {
		kind = OptAdamW
	}
	return NewOptimizer(OptimizerConfig{Kind: kind, WeightDecay: weightDecay}, lr)
}

// Steps is the number of updates made so far.
func (o *Optimizer) Steps() int { return o.steps }

// slotNames are the state each rule keeps per parameter.
func (k OptimizerKind) slotNames(momentum float64) []string {
	switch k {
	case OptSGD:
		if momentum == 0 {
			return nil
		}
		return []string{"momentum_buffer"}
	default:
		return []string{"exp_avg", "exp_avg_sq"}
	}
}

// Step updates every parameter from its gradient and zeroes the gradient.
// Parameters are matched to their state by name, so the set may change
// (frozen to finetune) without confusing them. An update that leaves a
// weight NaN or infinite (an overflowing step) returns an error wrapping
// ErrNonFinite naming it; the check rides on the update's own pass over the
// weights, which is memory bound, so it costs nothing measurable.
func (o *Optimizer) Step(model []G.ValueGrad) error {
	params := make([]*Param, len(model))
	for i, vg := range model {
		p, ok := vg.(*Param)
		if !ok {
			return fmt.Errorf("optimizer: parameter %d is %T, want *resnet.Param", i, vg)
		}
		params[i] = p
	}
	o.steps++
	if o.ClipNorm > 0 {
		clipGradients(params, o.ClipNorm)
	}
	var firstBad error
	for _, p := range params {
		decay := o.WeightDecay
		if o.NoDecayNormBias && p.noDecay {
			decay = 0
		}
		w, g := p.Data(), kernel.Floats(p.gradient())
		slots := o.slots(p.Name, len(w))
		var bad atomic.Int64
		bad.Store(-1)
		lr := o.LR
		if p.backbone && o.BackboneLRMult > 0 {
			lr *= o.BackboneLRMult
		}
		update := o.updater(lr, decay, slots, o.fresh[p.Name])
		delete(o.fresh, p.Name)
		kernel.ParallelFor(len(w), kernel.ElementGrain, func(lo, hi int) {
			if update(w[lo:hi], g[lo:hi], lo) {
				bad.CompareAndSwap(-1, int64(lo+firstNonFinite(w[lo:hi])))
			}
		})
		if j := bad.Load(); j >= 0 && firstBad == nil {
			firstBad = fmt.Errorf("%w: %s[%d] became %v; lower the learning rate", ErrNonFinite, p.Name, j, p.Data()[j])
		}
	}
	return firstBad
}

// updater is the rule's update of one chunk of a parameter (weights w,
// gradients g, starting at element lo of its state), zeroing the
// gradients; it reports whether a weight became NaN or infinite.
func (o *Optimizer) updater(rate, decay float64, slots map[string][]float32, first bool) func(w, g []float32, lo int) bool {
	lr := float32(rate)
	switch o.Kind {
	case OptSGD:
		// PyTorch: d = g + λw; b = μb + d (b = d on the first step);
		// d = d + μb (Nesterov) or b; w −= lr·d.
		mu, wd, nesterov := float32(o.Momentum), float32(decay), o.Nesterov
		buf := slots["momentum_buffer"]
		return func(w, g []float32, lo int) bool {
			g = g[:len(w)]
			var b []float32
			if buf != nil {
				b = buf[lo : lo+len(w)]
			}
			nonFinite := false
			for j, gj := range g {
				d := gj + wd*w[j]
				if b != nil {
					if first {
						b[j] = d
					} else {
						b[j] = mu*b[j] + d
					}
					if nesterov {
						d += mu * b[j]
					} else {
						d = b[j]
					}
				}
				wj := w[j] - lr*d
				w[j] = wj
				g[j] = 0
				nonFinite = nonFinite || wj-wj != 0 // NaN or ±Inf
			}
			return nonFinite
		}
	default:
		c1 := 1 - math.Pow(o.Beta1, float64(o.steps))
		c2 := 1 - math.Pow(o.Beta2, float64(o.steps))
		stepSize := float32(rate / c1)
		invC2 := float32(1 / math.Sqrt(c2))
		b1, b2, eps := float32(o.Beta1), float32(o.Beta2), float32(o.Eps)
		// AdamW shrinks the weights before the step (decoupled); Adam adds
		// λw to the gradient (L2, coupled).
		shrink, l2 := float32(1), float32(0)
		if o.Kind == OptAdamW {
			shrink = float32(1 - rate*decay)
		} else {
			l2 = float32(decay)
		}
		ms, vs := slots["exp_avg"], slots["exp_avg_sq"]
		c := &simd.AdamConsts{Beta1: b1, OneMinusBeta1: 1 - b1, Beta2: b2, OneMinusBeta2: 1 - b2,
			L2: l2, Shrink: shrink, StepSize: stepSize, InvSqrtC2: invC2, Eps: eps}
		return func(w, g []float32, lo int) bool {
			return simd.Adam(w, g, ms[lo:lo+len(w)], vs[lo:lo+len(w)], c)
		}
	}
}

// clipGradients scales every gradient by max/‖g‖ when the global L2 norm
// ‖g‖ over all of them exceeds max, as torch.nn.utils.clip_grad_norm_.
func clipGradients(params []*Param, max float64) {
	var sq float64
	for _, p := range params {
		for _, v := range kernel.Floats(p.gradient()) {
			sq += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(sq)
	if norm <= max || norm == 0 {
		return
	}
	scale := float32(max / (norm + 1e-6))
	for _, p := range params {
		g := kernel.Floats(p.gradient())
		for i := range g {
			g[i] *= scale
		}
	}
}

func (o *Optimizer) slots(name string, n int) map[string][]float32 {
	st, ok := o.state[name]
	want := o.Kind.slotNames(o.Momentum)
	if ok {
		for _, s := range want {
			if len(st[s]) != n {
				ok = false
			}
		}
	}
	if !ok {
		st = map[string][]float32{}
		for _, s := range want {
			st[s] = make([]float32, n)
		}
		o.state[name] = st
		o.fresh[name] = true
	}
	return st
}

// stateTensors exports the state as named tensors for a checkpoint
// ("layer1.0.conv1.weight.exp_avg").
func (o *Optimizer) stateTensors() map[string]*tensor.Dense {
	out := make(map[string]*tensor.Dense, 2*len(o.state))
	for name, st := range o.state {
		for slot, v := range st {
			out[name+"."+slot] = tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v))
		}
	}
	return out
}

// setState replaces the state with what a checkpoint held (parameter name
// → slot → values), refusing slots this rule does not keep or a parameter
// with only some of its slots.
func (o *Optimizer) setState(state map[string]map[string][]float32, path string) error {
	want := o.Kind.slotNames(o.Momentum)
	names := make([]string, 0, len(state))
	for n := range state {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		st := state[name]
		for slot := range st {
			if !contains(want, slot) {
				return fmt.Errorf("%s: %s.%s is not state of %s (it keeps %v): the checkpoint was saved by another optimiser", path, name, slot, o.Kind, want)
			}
		}
		for _, slot := range want {
			if st[slot] == nil {
				return fmt.Errorf("%s: %s lacks its %s", path, name, slot)
			}
		}
	}
	o.state = state
	o.fresh = map[string]bool{}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
