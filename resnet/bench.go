package resnet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"time"

	"github.com/reslab/reslab/internal/sysmem"
	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/train"
)

// BenchOptions describe one timing run of `reslab bench`.
type BenchOptions struct {
	Config Config
	Batch  int
	// Mode is "train" (forward, backward and Adam step of Config.Mode),
	// "infer" (eval-mode forward) or "frozen" (train with a frozen backbone).
	Mode   string
	Steps  int // timed steps after Warmup
	Warmup int
	// MicroBatch fixes the images per graph run; 0 chooses it from the
	// memory budget.
	MicroBatch int

	// Threading and kernel comparisons (docs/performance.md). They change
	// process-wide settings for the duration of the run, so Bench must not
	// run beside training. Workers is GOMAXPROCS, the goroutines every
	// kernel splits its work over (0 keeps it); BLASThreads the threads
	// OpenBLAS gives each product (openblas build; 0 keeps reslab's 1);
	// Gemm names the matrix product to run on, one of kernel.Products
	// (avx512, avx2 or gonum in the pure-Go build; "" keeps the fastest).
	Workers     int
	BLASThreads int
	Gemm        string
	// Conv names the convolutions to run on, one of kernel.Convolutions
	// ("dnnl" in the dnnl build, "reslab"); "" is the build's default.
	Conv string
}

// BenchResult is what a timing run measured.
type BenchResult struct {
	Arch         string  `json:"arch"`
	Width        int     `json:"width"`
	Size         int     `json:"size"`
	Batch        int     `json:"batch"`
	Mode         string  `json:"mode"`
	MicroBatch   int     `json:"micro_batch"`
	SecPerBatch  float64 `json:"sec_per_batch"` // median over the timed steps
	ImagesPerSec float64 `json:"images_per_sec"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"` // of the whole process so far
	EstimateByte int64   `json:"estimate_bytes"` // EstimateMemory for one micro-batch (EstimateInferenceMemory for infer)
	BLAS         string  `json:"blas"`
	Convolutions string  `json:"convolutions"` // kernel.ConvolutionLabel
	Workers      int     `json:"workers"`
	BLASThreads  int     `json:"blas_threads"`
	Steps        int     `json:"steps"`
}

// Arithmetic names the convolutions and matrix products this process trains
// with (kernel.Arithmetic): runs record it, and a resume under another one
// is not bit for bit an uninterrupted run.
func Arithmetic() string { return kernel.Arithmetic() }

// Bench times steps on random images and reports the median and the peak
// resident memory of the process.
func Bench(ctx context.Context, o BenchOptions) (BenchResult, error) {
	cfg := o.Config
	switch o.Mode {
	case "train":
	case "frozen":
		cfg.Mode = ModeFrozen
	case "infer":
	default:
		return BenchResult{}, fmt.Errorf("bench mode %q: want train, infer or frozen", o.Mode)
	}
	if o.Batch < 1 {
		return BenchResult{}, fmt.Errorf("bench batch %d: want 1 or more", o.Batch)
	}
	if o.Workers > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.Workers))
	}
	blasThreads := max(o.BLASThreads, 1)
	if err := kernel.SetBLASThreads(blasThreads); err != nil {
		return BenchResult{}, err
	}
	defer kernel.SetBLASThreads(1)
	if o.Gemm != "" {
		defer kernel.UseProduct(kernel.Product())
		if err := kernel.UseProduct(o.Gemm); err != nil {
			return BenchResult{}, err
		}
	}
	if o.Conv != "" {
		defer kernel.UseConvolutions(kernel.Convolution())
		if err := kernel.UseConvolutions(o.Conv); err != nil {
			return BenchResult{}, err
		}
	}
	m, err := NewModel(cfg, 1)
	if err != nil {
		return BenchResult{}, err
	}
	defer m.Close()
	m.SetMicroBatch(o.MicroBatch)
	rng := rand.New(rand.NewPCG(1, 2))
	b := train.SliceBatch{Images: make([]float32, o.Batch*3*cfg.InputSize*cfg.InputSize), Classes: make([]int, o.Batch)}
	for i := range b.Images {
		b.Images[i] = float32(rng.NormFloat64())
	}
	for i := range b.Classes {
		b.Classes[i] = i % cfg.Classes
	}
	var times []float64
	for i := 0; i < o.Warmup+max(o.Steps, 1); i++ {
		if err := ctx.Err(); err != nil {
			return BenchResult{}, err
		}
		start := time.Now()
		if o.Mode == "infer" {
			_, err = m.Logits(ctx, b)
		} else {
			_, err = m.TrainStep(ctx, b, 1e-4)
		}
		if err != nil {
			return BenchResult{}, err
		}
		if i >= o.Warmup {
			times = append(times, time.Since(start).Seconds())
		}
	}
	sort.Float64s(times)
	med := times[len(times)/2]
	if len(times)%2 == 0 {
		med = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	micro := m.MicroBatch(o.Batch)
	estimate := EstimateMemory(cfg, micro)
	if o.Mode == "infer" {
		estimate = EstimateInferenceMemory(cfg, o.Batch)
	}
	return BenchResult{
		Arch: cfg.Arch(), Width: cfg.Width, Size: cfg.InputSize, Batch: o.Batch, Mode: o.Mode,
		MicroBatch: micro, SecPerBatch: med, ImagesPerSec: float64(o.Batch) / med,
		PeakRSSBytes: sysmem.PeakRSS(), EstimateByte: estimate, BLAS: kernel.BLAS(), Convolutions: kernel.ConvolutionLabel(),
		Workers: runtime.GOMAXPROCS(0), BLASThreads: blasThreads, Steps: len(times),
	}, nil
}
