package resnet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/resnet/kernel/simd"
	"github.com/reslab/reslab/train"
	G "gorgonia.org/gorgonia"
)

// Model is a ResNet with its head, the optimiser state and the graphs built
// to run it. A Model is used from one goroutine at a time.
type Model struct {
	cfg Config
	net *network
	rng *rand.Rand // dropout masks
	pcg *rand.PCG  // rng's state, saved with a resumable checkpoint
	opt *Optimizer
	// smoothing is the label smoothing ε of the training targets.
	smoothing float64
	// tta is Eval's test-time augmentation.
	tta TTA
	// ema is the weight average, nil when off.
	ema *ema
	// headOnly is the number of first epochs that train only the head
	// (the backbone frozen, its BatchNorm in eval mode) before the
	// configured mode takes over; fullMode is that mode.
	headOnly int
	fullMode Mode

	// budget caps the predicted peak memory of one training graph; the
	// micro-batch size follows from it unless fixed by SetMicroBatch.
	budget     int64
	microBatch int
	graphs     map[graphKind]*compiled

	// featureCache maps image paths to frozen-backbone features.
	featureCache map[string][]float32
	cacheTrain   bool
	// backboneImages counts images run through the frozen backbone, so a
	// test can tell a cache that is read from one that is only written.
	backboneImages int
	// sharing is how new graphs share buffers; tests make it share small
	// outputs too and poison buffers as they change hands.
	sharing kernel.Sharing
}

// NewModel builds a freshly initialised model; seed fixes the initial
// weights and the dropout masks.
func NewModel(cfg Config, seed uint64) (*Model, error) {
	kernel.UseBLAS()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The weights alone, before any graph: a shape from a damaged or crafted
	// file must fail here with a figure, not in an allocation.
	budget, params := DefaultMemoryBudget(), ParamCount(cfg)
	if need := int64(params) * weightBytes; need > budget {
		return nil, fmt.Errorf("%w: %s with %d classes has %d M parameters, %.1f GB of weights alone, over the memory budget of %.1f GB",
			ErrConfig, cfg.Arch(), cfg.Classes, params/1e6, float64(need)/1e9, float64(budget)/1e9)
	}
	cfg.Hidden = append([]int(nil), cfg.Hidden...)
	pcg := rand.NewPCG(seed, 0x7265736c6162)
	rng := rand.New(pcg)
	return &Model{
		cfg:    cfg,
		net:    newNetwork(cfg, rng),
		rng:    rng,
		pcg:    pcg,
		opt:    NewAdam(1e-3, 0),
		budget: budget,
		graphs: map[graphKind]*compiled{},
	}, nil
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Params returns every learnable tensor, backbone first, in torchvision order.
func (m *Model) Params() []*Param { return m.net.params }

// Trainable returns the tensors the training mode updates.
func (m *Model) Trainable() []*Param {
	if m.cfg.Mode == ModeFrozen {
		return m.net.headParams()
	}
	return m.net.params
}

// NumParams counts the learnable values.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.net.params {
		n += p.Shape().TotalSize()
	}
	return n
}

// SetMemoryBudget sets the peak memory, in bytes, that one training graph
// may be predicted to use; larger batches are split into micro-batches.
func (m *Model) SetMemoryBudget(bytes int64) { m.budget = bytes }

// SetMicroBatch fixes the micro-batch size; 0 returns to choosing it from
// the memory budget.
func (m *Model) SetMicroBatch(n int) { m.microBatch = n }

// weightBytes is what one parameter costs a model at rest: its value and
// its gradient, as float32.
const weightBytes = 8

// MicroBatch is the number of images run through a graph at once for a
// batch of the given size: the size SetMicroBatch fixed, else the rule of
// the package's MicroBatch for the model's memory budget.
func (m *Model) MicroBatch(batch int) int {
	if m.microBatch > 0 {
		return min(m.microBatch, batch)
	}
	return MicroBatch(m.cfg, batch, m.budget)
}

// MicroBatch is the number of images a model of cfg runs through a graph at
// once for a batch of the given size under a memory budget: the largest
// size whose predicted memory fits, replaced by a divisor of the batch when
// one is at least half as large, so full batches split into equal parts and
// need a single graph; a remainder of one image is avoided, since BatchNorm
// cannot normalise a single image whose feature map is 1×1. It is 1 when
// even one image does not fit. Forms and estimates call it to say what
// training will do.
func MicroBatch(cfg Config, batch int, budget int64) int {
	fit := 1
	for size := batch; size > 1; size-- {
		if EstimateMemory(cfg, size) <= budget {
			fit = size
			break
		}
	}
	for size := fit; size*2 >= fit && size > 1; size-- {
		if batch%size == 0 {
			return size
		}
	}
	if fit > 2 && batch%fit == 1 {
		return fit - 1
	}
	return fit
}

// ErrBatchTooSmall marks a training batch of one image in a network whose
// last feature map is 1×1: BatchNorm's batch statistics would be undefined
// (PyTorch refuses it too). The fit loop skips such a batch.
var ErrBatchTooSmall = fmt.Errorf("a batch of one image cannot be trained: BatchNorm needs more than one value per channel (%w)", train.ErrSkipBatch)

// ErrNonFinite marks a loss that became NaN or infinite.
var ErrNonFinite = errors.New("loss is not finite")

// TrainStep runs forward and backward on the batch, in micro-batches if it
// does not fit the memory budget, and takes one Adam step at learning rate
// lr. Gradients of the micro-batches are weighted by their share of the
// batch, so the update equals that of one big batch, except that BatchNorm
// normalises each micro-batch with its own statistics (and updates its
// running statistics once per micro-batch), as data-parallel training does.
func (m *Model) TrainStep(ctx context.Context, b train.Batch, lr float64) (train.StepResult, error) {
	n := b.Len()
	if n == 0 {
		return train.StepResult{}, errors.New("training step: empty batch")
	}
	if err := m.checkBatch(b); err != nil {
		return train.StepResult{}, err
	}
	if n == 1 && m.cfg.FeatureSize() == 1 && m.cfg.Mode != ModeFrozen {
		return train.StepResult{}, ErrBatchTooSmall
	}
	if i := firstNonFinite(b.Pixels()); i >= 0 {
		return train.StepResult{}, fmt.Errorf("training step: %w: image %d of the batch holds %v", ErrNonFinite, i/(3*m.cfg.InputSize*m.cfg.InputSize), b.Pixels()[i])
	}
	params := m.Trainable()
	res, err := m.accumulate(ctx, b)
	if err != nil {
		m.zeroGrads(params)
		return res, err
	}
	if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
		m.zeroGrads(params)
		return res, fmt.Errorf("training step: %w (%v)", ErrNonFinite, res.Loss)
	}
	m.opt.LR = lr
	vgs := make([]G.ValueGrad, len(params))
	for i, p := range params {
		vgs[i] = p
	}
	// A step that overflowed leaves NaN or infinite weights, and Adam says
	// so; stop here, before a forward pass feeds them to ops (gorgonia's
	// max-pool backward among them) that are undefined on NaN.
	if err := m.opt.Step(vgs); err != nil {
		return res, fmt.Errorf("training step: %w", err)
	}
	m.updateEMA()
	return res, nil
}

// accumulate runs forward and backward over the batch in micro-batches and
// leaves the batch's gradient in the parameters' accumulators: each
// micro-batch's gradient weighted by its share of the batch, so the sum is
// the gradient of the batch's mean loss.
func (m *Model) accumulate(ctx context.Context, b train.Batch) (train.StepResult, error) {
	n := b.Len()
	res := train.StepResult{Images: n}
	lo := 0
	for _, size := range microBatches(n, m.MicroBatch(n)) {
		// A cancelled context stops between micro-batches: the step is
		// dropped whole (no update), and the batch is redone on resume.
		if err := ctx.Err(); err != nil {
			return res, err
		}
		hi := lo + size
		loss, correct, err := m.trainChunk(b, lo, hi)
		if err != nil {
			return res, err
		}
		res.Loss += loss * float64(hi-lo) / float64(n)
		res.Correct += correct
		lo = hi
	}
	return res, nil
}

// microBatches splits n images into the fewest parts of at most size,
// as even as can be (7 by 3 is 3, 2, 2; 4 by 3 is 2, 2), so no part is a
// lone image unless the batch is one: BatchNorm cannot normalise a single
// image whose last feature map is 1×1.
func microBatches(n, size int) []int {
	size = max(size, 1)
	parts := (n + size - 1) / size
	out := make([]int, parts)
	for i := range out {
		out[i] = n / parts
		if i < n%parts {
			out[i]++
		}
	}
	return out
}

// firstNonFinite returns the index of the first NaN or infinity, or -1.
func firstNonFinite(xs []float32) int {
	for i, v := range xs {
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			return i
		}
	}
	return -1
}

// trainChunk runs images [lo,hi) of the batch and adds their weighted
// gradients to the parameters' accumulators.
func (m *Model) trainChunk(b train.Batch, lo, hi int) (loss float64, correct int, err error) {
	size := hi - lo
	pixels := m.imageSlice(b, lo, hi)
	labels := b.Labels()[lo:hi]
	target := smoothedTargets(labels, m.cfg.Classes, m.smoothing)
	var c *compiled
	if m.cfg.Mode == ModeFrozen {
		feats, err := m.cachedFeatures(b, lo, hi, m.cacheTrain)
		if err != nil {
			return 0, 0, err
		}
		if c, err = m.graph(graphHeadTrain, size); err != nil {
			return 0, 0, err
		}
		if err = c.run(feats, target); err != nil {
			return 0, 0, err
		}
	} else {
		if c, err = m.graph(graphTrain, size); err != nil {
			return 0, 0, err
		}
		if err = c.run(pixels, target); err != nil {
			return 0, 0, err
		}
	}
	weight := float32(size) / float32(b.Len())
	first := lo == 0
	for i, p := range c.params {
		gv := c.grads[i].Value()
		if gv == nil {
			return 0, 0, fmt.Errorf("no gradient for %s", p.Name)
		}
		src := gv.Data().([]float32)
		dst := kernel.Floats(p.gradient())
		if first {
			// The batch's first chunk: the accumulator holds the last step's
			// zeros, so a scaled copy (two streams) does what adding (three)
			// would.
			kernel.ParallelFor(len(dst), kernel.ElementGrain, func(lo, hi int) { simd.Scale(weight, src[lo:hi], dst[lo:hi]) })
			continue
		}
		kernel.ParallelFor(len(dst), kernel.ElementGrain, func(lo, hi int) { simd.Axpy(weight, src[lo:hi], dst[lo:hi]) })
	}
	logits := c.output.Value().Data().([]float32)
	return float64(c.loss.Value().Data().(float32)), countCorrect(logits, labels, m.cfg.Classes), nil
}

// Close releases the graphs; the weights stay usable.
func (m *Model) Close() {
	for k, c := range m.graphs {
		c.close()
		delete(m.graphs, k)
	}
}

// graph returns the graph of a kind for a batch size, building it when the
// size changed. One graph per kind is kept: graphs own the activation
// memory, so holding several sizes would multiply the peak.
func (m *Model) graph(kind graphKind, batch int) (*compiled, error) {
	return m.graphAt(kind, batch, m.cfg.InputSize)
}

// graphAt is graph for inputs of side size (the backbone's inference at an
// evaluation size other than the training one, FixRes-style).
func (m *Model) graphAt(kind graphKind, batch, size int) (*compiled, error) {
	if c := m.graphs[kind]; c != nil && c.batch == batch && c.size == size {
		return c, nil
	}
	if old := m.graphs[kind]; old != nil {
		old.close()
		delete(m.graphs, kind)
		// The old graph's activations are garbage now; collect them before
		// the new graph allocates its own, or the heap briefly holds both.
		runtime.GC()
	}
	cfg := m.cfg
	cfg.InputSize = size
	c, err := m.net.build(cfg, kind, batch, m.rng, m.sharing)
	if err != nil {
		return nil, fmt.Errorf("building the %s graph for batch %d: %w", kind, batch, err)
	}
	c.size = size
	m.graphs[kind] = c
	return c, nil
}

func (m *Model) checkBatch(b train.Batch) error { return checkBatchAt(b, m.cfg.InputSize) }

// checkBatchAt checks a batch holds images of side size and a label each.
func checkBatchAt(b train.Batch, size int) error {
	want := b.Len() * 3 * size * size
	if got := len(b.Pixels()); got != want {
		return fmt.Errorf("batch of %d images has %d values, want %d (3×%d×%d each)", b.Len(), got, want, size, size)
	}
	if len(b.Labels()) != b.Len() {
		return fmt.Errorf("batch of %d images has %d labels", b.Len(), len(b.Labels()))
	}
	return nil
}

func (m *Model) imageSlice(b train.Batch, lo, hi int) []float32 {
	side := imageSide(len(b.Pixels()), b.Len())
	per := 3 * side * side
	return b.Pixels()[lo*per : hi*per]
}

func (m *Model) zeroGrads(ps []*Param) {
	for _, p := range ps {
		if p.grad != nil {
			clear(kernel.Floats(p.grad))
		}
	}
}

// smoothedTargets are the training targets of labels over k classes:
// (1−eps)·one-hot + eps/k, one-hot when eps is 0. A label outside [0, k)
// (an image only to be predicted) gets an all-zero row.
func smoothedTargets(labels []int, k int, eps float64) []float32 {
	t := make([]float32, len(labels)*k)
	on, off := float32(1-eps+eps/float64(k)), float32(eps/float64(k))
	for i, y := range labels {
		if y < 0 || y >= k {
			continue
		}
		row := t[i*k : (i+1)*k]
		if eps != 0 {
			for j := range row {
				row[j] = off
			}
		}
		row[y] = on
	}
	return t
}

// SaveState returns the dropout generator's state and Adam's step count
// (train.Learner).
func (m *Model) SaveState() (train.LearnerState, error) {
	rng, err := m.pcg.MarshalBinary()
	if err != nil {
		return train.LearnerState{}, fmt.Errorf("saving the dropout generator: %w", err)
	}
	return train.LearnerState{RNG: rng, OptimizerSteps: m.opt.steps}, nil
}

// RestoreState puts back what SaveState returned (train.Learner).
func (m *Model) RestoreState(s train.LearnerState) error {
	m.opt.steps = s.OptimizerSteps
	if len(s.RNG) == 0 {
		return nil
	}
	if err := m.pcg.UnmarshalBinary(s.RNG); err != nil {
		return fmt.Errorf("restoring the dropout generator: %w", err)
	}
	return nil
}

// SetHeadOnlyEpochs makes the first n epochs train only the head, as a
// frozen backbone (inference mode, BatchNorm on its running statistics),
// before the backbone unfreezes in the configured mode (Keras's and
// fastai's fine_tune). StartEpoch applies it.
func (m *Model) SetHeadOnlyEpochs(n int) {
	m.headOnly = n
	if m.fullMode == "" {
		m.fullMode = m.cfg.Mode
	}
}

// StartEpoch sets the mode epoch (0-based) trains in (train.EpochStarter).
func (m *Model) StartEpoch(epoch int) {
	if m.headOnly <= 0 || m.fullMode == ModeFrozen {
		return
	}
	if epoch < m.headOnly {
		m.cfg.Mode = ModeFrozen
	} else {
		m.cfg.Mode = m.fullMode
	}
}

// SetOptimizer replaces the optimiser (before training starts or a resume
// state is loaded: its state starts empty).
func (m *Model) SetOptimizer(cfg OptimizerConfig) { m.opt = NewOptimizer(cfg, m.opt.LR) }

// SetLabelSmoothing mixes ε of a uniform distribution into the training
// targets, (1−ε)·one-hot + ε/K, as PyTorch's CrossEntropyLoss
// (label_smoothing=ε); validation's loss stays the plain cross-entropy.
func (m *Model) SetLabelSmoothing(eps float64) { m.smoothing = eps }
