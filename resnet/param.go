package resnet

import (
	"math"
	"math/rand/v2"

	"github.com/reslab/reslab/resnet/kernel"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is one learnable tensor, owned by the model rather than by any graph:
// every graph built for the model binds the same value, and gradients from
// several micro-batches accumulate into Grad before the optimiser steps. It
// satisfies gorgonia.ValueGrad, so gorgonia's solvers can drive it too.
type Param struct {
	Name string        // torchvision/timm tensor name, such as "layer1.0.conv1.weight"
	data *tensor.Dense // the weights, in reslab's layout
	grad *tensor.Dense // accumulated gradient, allocated on first use
	// transposed marks a fully connected weight held as (in, out) for the
	// matrix product while torchvision stores (out, in).
	transposed bool
	// noDecay marks BatchNorm's γ and β and biases, which weight decay
	// leaves alone when OptimizerConfig.NoDecayNormBias is set.
	noDecay bool
	// backbone marks the backbone's parameters (not the head's), whose
	// rate OptimizerConfig.BackboneLRMult scales.
	backbone bool
}

func newParam(name string, shape tensor.Shape) *Param {
	return &Param{Name: name, data: kernel.NewDense(shape)}
}

// noDecay marks p as one weight decay may leave alone (BatchNorm, biases).
func noDecay(p *Param) *Param {
	p.noDecay = true
	return p
}

// Value returns the weights (gorgonia.Valuer).
func (p *Param) Value() G.Value { return p.data }

// Grad returns the accumulated gradient (gorgonia.ValueGrad).
func (p *Param) Grad() (G.Value, error) { return p.gradient(), nil }

// Shape is the shape in reslab's layout.
func (p *Param) Shape() tensor.Shape { return p.data.Shape() }

// Data is the weights as a flat slice.
func (p *Param) Data() []float32 { return kernel.Floats(p.data) }

func (p *Param) gradient() *tensor.Dense {
	if p.grad == nil {
		p.grad = kernel.NewDense(p.data.Shape())
	}
	return p.grad
}

// heNormal fills w with He (Kaiming) normal values for the given fan:
// N(0, 2/fan). torchvision initialises convolutions this way with the fan
// out; gorgonia's HeN panics for float32.
func heNormal(w []float32, fan int, rng *rand.Rand) {
	std := math.Sqrt(2 / float64(fan))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

// uniformFanIn fills w with U(−1/√fan, 1/√fan), PyTorch's default for
// linear layers (weights and biases).
func uniformFanIn(w []float32, fan int, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(fan))
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * bound)
	}
}
