package resnet

import (
	"github.com/reslab/reslab/internal/sysmem"
)

// EstimateMemory predicts the peak resident bytes of training on batches of
// the given size: weights, gradients and Adam moments, plus the activations
// the graph keeps. Each op reuses its output tensor from one step to the
// next, and ops whose outputs are never alive together share one
// (kernel.NewTapeMachine), so most activation gradients cost nothing of
// their own; reslab's convolution recomputes its im2col columns in the
// backward pass instead of keeping them, so the forward activations
// dominate. A frozen backbone keeps only its weights and its inference
// outputs. The coefficients were fitted to the peak RSS `reslab bench
// --micro-batch B --warmup 3 --steps 2` measured (the default build, GOGC
// 50 as the binary sets it; ResNet-18, 34, 50 and 101 at 128 and 224 px,
// batch 8 to 32, train and frozen) and rounded up: the estimate is 5 to
// 26 % above each training measurement and 40 to 70 % above the frozen
// ones; see docs/performance.md. Data loading comes on top: the loader's
// decoded-image cache and, in frozen mode, the cached features.
func EstimateMemory(cfg Config, batch int) int64 {
	a := countActivations(cfg)
	params, head := float64(a.params), float64(a.headParams)
	if cfg.Mode == ModeFrozen {
		return int64(baseBytes + frozenParamBytes*(params-head) + trainedParamBytes*head +
			float64(batch)*4*inferenceFactor*float64(a.activations))
	}
	return int64(baseBytes + trainedParamBytes*params + float64(batch)*4*activationFactor*float64(a.activations))
}

// EstimateInferenceMemory predicts the peak bytes of running the network in
// eval mode only (prediction, bench --mode infer): weights and forward
// outputs, no gradients or optimiser state, whatever cfg.Mode says.
func EstimateInferenceMemory(cfg Config, batch int) int64 {
	a := countActivations(cfg)
	return int64(baseBytes + frozenParamBytes*float64(a.params) + float64(batch)*4*inferenceFactor*float64(a.activations))
}

// EstimateRunExtra is what a whole training run holds beyond its training
// step (EstimateMemory): the validation pass's forward outputs, and a
// checkpoint being written (the
// weights and, for the trained ones, Adam's two moments, serialised at
// once). A flatten head makes the checkpoint large: ResNet-50's 512-wide
// flatten head is 51 M parameters, 0.6 GB with its moments.
func EstimateRunExtra(cfg Config, evalBatch int) int64 {
	a := countActivations(cfg)
	trained := a.params
	if cfg.Mode == ModeFrozen {
		trained = a.headParams
	}
	return 4*(a.params+2*trained) + int64(float64(evalBatch)*4*inferenceFactor*float64(a.activations))
}

// Fitted coefficients of EstimateMemory.
const (
	baseBytes         = 100 << 20 // runtime, code, scratch buffers
	trainedParamBytes = 22        // weight, gradient, Adam's two moments, the gradient node's value, slack
	frozenParamBytes  = 6         // weight and slack
	activationFactor  = 0.9       // outputs and gradients per counted activation (buffers shared between ops), and collector slack
	inferenceFactor   = 0.1       // outputs only, mostly in shared buffers, and collector slack
)

type activationCount struct {
	params      int64
	headParams  int64 // of params, those of the head
	activations int64 // values per image, three per convolution output
}

// countActivations walks the network's shapes without building a graph, so
// the estimate is cheap enough to recompute on every keystroke of a form.
func countActivations(cfg Config) activationCount {
	var a activationCount
	addConv := func(c convShape) {
		a.params += int64(c.in*c.out*c.kernel*c.kernel + 2*c.out) // weights, BatchNorm's γ and β
		a.activations += int64(3 * c.out * c.outSide * c.outSide) // conv, BN, ReLU or add
	}
	t := topologyOf(cfg)
	addConv(t.stem)
	a.activations += int64(cfg.Width * t.poolSide * t.poolSide) // max-pool
	for _, stage := range t.stages {
		for _, blk := range stage {
			for _, c := range blk.branch {
				addConv(c)
			}
			if blk.down != nil {
				addConv(*blk.down)
			}
		}
	}
	f := cfg.Features()
	for _, h := range append(append([]int(nil), cfg.Hidden...), cfg.Classes) {
		a.params += int64(f*h + h)
		a.headParams += int64(f*h + h)
		a.activations += int64(4 * h)
		f = h
	}
	return a
}

// DefaultMemoryBudget is 60 % of the memory available when the process
// starts (MemAvailable in /proc/meminfo), or 4 GiB where that cannot be read.
func DefaultMemoryBudget() int64 {
	if avail := sysmem.Available(); avail > 0 {
		return avail * 6 / 10
	}
	return 4 << 30
}

// ParamCount is the number of learnable values of the network cfg
// describes, computed from shapes alone (no weights are made).
func ParamCount(cfg Config) int { return int(countActivations(cfg).params) }
