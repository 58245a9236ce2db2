package experiments

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/resnet"
)

// Estimate is what a spec will cost on this machine, predicted before it
// runs: the network's size, the memory and micro-batching training will use,
// and the time of an epoch from the speed saved runs measured here.
type Estimate struct {
	Params     int
	Batch      int
	MicroBatch int   // images per graph run, as resnet.MicroBatch chooses
	PeakBytes  int64 // predicted for one micro-batch's training step
	// RunBytes is the whole run's predicted peak: the step, the decoded
	// image cache, validation and a checkpoint being written.
	RunBytes int64
	Budget   int64
	Fits     bool // false when even one image exceeds the budget
	// SecPerEpoch is NaN when no saved run measured a speed; Basis says how
	// it was found ("measured 310 img/s (0718-r18)", "scaled from r34 w16 64px").
	SecPerEpoch float64
	Basis       string
}

// EstimateInput is what an estimate is made from besides the spec.
type EstimateInput struct {
	Classes                  int // 10 when the data set is not known yet
	TrainImages, ValidImages int // 0 when not known: no time estimate
	Budget                   int64
	Runs                     []*Run // saved runs, newest first, for the measured speed
}

// EstimateSpec predicts the cost of sp. It fails only when the spec does
// not describe a network (Validate says why).
func EstimateSpec(sp Spec, in EstimateInput) (Estimate, error) {
	classes := in.Classes
	if classes < 2 {
		classes = 10
	}
	cfg := sp.ModelConfig(classes)
	if err := cfg.Validate(); err != nil {
		return Estimate{}, err
	}
	e := Estimate{Params: resnet.ParamCount(cfg), Batch: max(sp.Batch, 1), Budget: in.Budget, SecPerEpoch: math.NaN()}
	e.MicroBatch = resnet.MicroBatch(cfg, e.Batch, in.Budget)
	if sp.MicroBatch > 0 {
		e.MicroBatch = min(sp.MicroBatch, e.Batch)
	}
	e.PeakBytes = resnet.EstimateMemory(cfg, e.MicroBatch)
	e.Fits = e.PeakBytes <= in.Budget
	e.RunBytes = e.PeakBytes + resnet.EstimateRunExtra(cfg, e.MicroBatch) + imageCacheBytes(sp, in.TrainImages+in.ValidImages)
	if in.TrainImages > 0 {
		e.SecPerEpoch, e.Basis = epochSeconds(cfg, sp, in.TrainImages, in.ValidImages, in.Runs)
	}
	return e, nil
}

// imageCacheBytes predicts the loader's cache of decoded images: RGBA at
// the input size's shorter side (CacheScale larger when augmenting) and
// photographs' usual 4:3, up to the cache's bound.
func imageCacheBytes(sp Spec, images int) int64 {
	side := float64(sp.Size)
	if sp.Augment.Enabled() {
		side *= augment.CacheScaleFor(sp.Augment)
	}
	return min(int64(float64(images)*4*side*side*4/3), augment.DefaultCacheBytes)
}

// perImageCost is the network's per-image memory estimate, a stand-in for
// compute that scales with width, depth, size and mode.
func perImageCost(cfg resnet.Config) float64 {
	return float64(resnet.EstimateMemory(cfg, 2) - resnet.EstimateMemory(cfg, 1))
}

// sameNetwork says whether two specs train the same network at the same
// size, so one's measured speed is the other's.
func sameNetwork(a, b Spec) bool {
	return a.Arch == b.Arch && a.Width == b.Width && a.Size == b.Size && a.Mode == b.Mode &&
		slices.Equal(a.Head, b.Head) && a.Pooling == b.Pooling
}

// epochSeconds estimates an epoch from this machine's measured speed: the
// saved runs' images/s, taken as it is from a run of the same network, or
// scaled by the network's cost from the latest measured run.
func epochSeconds(cfg resnet.Config, sp Spec, train, valid int, runs []*Run) (float64, string) {
	// A run that stopped after its first epoch measured little but that
	// epoch's decoding and caching: it is the basis only when nothing
	// measured more.
	var same, latest, sameOne, latestOne *Run
	for _, r := range runs { // newest first
		if len(r.Metrics) == 0 || r.Metrics[len(r.Metrics)-1].ImagesPerSec <= 0 {
			continue
		}
		full := len(r.Metrics) > 1
		isSame := sameNetwork(r.Meta.Spec, sp)
		switch {
		case full && isSame && same == nil:
			same = r
		case !full && isSame && sameOne == nil:
			sameOne = r
		}
		switch {
		case full && latest == nil:
			latest = r
		case !full && latestOne == nil:
			latestOne = r
		}
	}
	basis := cmp.Or(same, sameOne, latest, latestOne)
	if basis == nil {
		return math.NaN(), ""
	}
	// The run's speed: its median epoch's training images/s (the first
	// epoch left out when there are others), and how long validation took
	// per image relative to training.
	var ips []float64
	valRatio := 1.0 / 3
	epochs := basis.Metrics
	if len(epochs) > 1 {
		epochs = epochs[1:]
	}
	for _, m := range epochs {
		ips = append(ips, m.ImagesPerSec)
	}
	rate := median(ips)
	last := basis.Metrics[len(basis.Metrics)-1]
	if ti, vi := basis.Meta.TrainImages, basis.Meta.ValidImages; ti > 0 && vi > 0 && last.ImagesPerSec > 0 {
		vsec := last.Seconds - float64(ti)/last.ImagesPerSec
		if vsec > 0 {
			valRatio = (vsec / float64(vi)) * last.ImagesPerSec
		}
	}
	isSame := basis == same || basis == sameOne
	bs := basis.Meta.Spec
	how := fmt.Sprintf("measured %.0f img/s (%s)", rate, ShortID(basis.ID))
	if len(basis.Metrics) == 1 {
		how += ", first epoch only"
	}
	if !isSame {
		bcfg := bs.ModelConfig(max(len(basis.Meta.Classes), 2))
		if bcfg.Validate() != nil {
			return math.NaN(), ""
		}
		rate = rate * perImageCost(bcfg) / perImageCost(cfg)
		how = fmt.Sprintf("scaled from %s w%d %dpx", bs.Arch.Short(), bs.Width, bs.Size)
		if len(basis.Metrics) == 1 {
			how += ", first epoch only"
		}
	}
	if rate <= 0 {
		return math.NaN(), ""
	}
	return float64(train)/rate + float64(valid)*valRatio/rate, how
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
