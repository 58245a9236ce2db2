package resnet

import (
	"fmt"
	"math"
	"sort"
)

// ema is an exponential moving average of a model's weights and BatchNorm
// running statistics (timm's ModelEmaV2 keeps both), updated after every
// optimiser step. Validation, the best checkpoint and prediction can use
// it in place of the raw weights: averaged weights generalise better late
// in training, for the price of a copy.
type ema struct {
	decay   float64
	updates int
	// values holds the average of each tensor by its torchvision name.
	values map[string][]float32
	// swapped says the model holds the average now and values the raw
	// weights.
	swapped bool
}

// SetEMA turns the weight average on with the given decay (such as 0.999),
// or off with 0. Early on the decay is min(decay, (1+n)/(10+n)) after n
// updates, as TensorFlow's ExponentialMovingAverage with num_updates, so
// the average is not dominated by the random initial weights.
func (m *Model) SetEMA(decay float64) {
	if decay <= 0 {
		m.ema = nil
		return
	}
	m.ema = &ema{decay: decay, values: map[string][]float32{}}
}

// emaSlots are the tensors the average covers, by name: the trained
// parameters, and the running statistics unless the backbone is frozen
// (then neither changes, and the cached features stay valid).
func (m *Model) emaSlots() map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range m.Trainable() {
		out[p.Name] = p.Data()
	}
	if m.cfg.Mode != ModeFrozen {
		for _, bn := range m.net.bns {
			out[bn.Name+".running_mean"] = bn.RunningMean
			out[bn.Name+".running_var"] = bn.RunningVar
		}
	}
	return out
}

// updateEMA folds the weights into the average (after an optimiser step).
func (m *Model) updateEMA() {
	e := m.ema
	if e == nil || e.swapped {
		return
	}
	n := float64(e.updates)
	d := float32(math.Min(e.decay, (1+n)/(10+n)))
	e.updates++
	for name, live := range m.emaSlots() {
		avg, ok := e.values[name]
		if !ok || len(avg) != len(live) {
			e.values[name] = append([]float32(nil), live...)
			continue
		}
		for i, v := range live {
			avg[i] = d*avg[i] + (1-d)*v
		}
	}
}

// Averaging says whether the model keeps a weight average (train.Averager).
func (m *Model) Averaging() bool { return m.ema != nil && m.ema.updates > 0 }

// UseAverage puts the averaged weights in the model (on) or the raw ones
// back (off), swapping in place (train.Averager). Training must not run
// while the average is in.
func (m *Model) UseAverage(on bool) {
	e := m.ema
	if e == nil || e.swapped == on || e.updates == 0 {
		return
	}
	for name, live := range m.emaSlots() {
		if avg, ok := e.values[name]; ok && len(avg) == len(live) {
			for i := range live {
				live[i], avg[i] = avg[i], live[i]
			}
		}
	}
	e.swapped = on
}

// emaUpdates is the number of updates the average has seen.
func (m *Model) emaUpdates() int {
	if m.ema == nil {
		return 0
	}
	return m.ema.updates
}

// emaTensors are the average's values for a resume checkpoint, named
// "ema.<tensor>".
func (m *Model) emaTensors() map[string][]float32 {
	if m.ema == nil {
		return nil
	}
	out := make(map[string][]float32, len(m.ema.values))
	for name, v := range m.ema.values {
		out["ema."+name] = v
	}
	return out
}

// setEMA restores the average from a resume checkpoint.
func (m *Model) setEMA(values map[string][]float32, updates int, path string) error {
	if len(values) == 0 {
		return nil
	}
	if m.ema == nil {
		return fmt.Errorf("%s holds a weight average but the run keeps none", path)
	}
	slots := m.emaSlots()
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if live, ok := slots[n]; !ok || len(live) != len(values[n]) {
			return fmt.Errorf("%w: %s: the weight average's %s does not fit the model", ErrWeights, path, n)
		}
	}
	m.ema.values, m.ema.updates, m.ema.swapped = values, updates, false
	return nil
}
