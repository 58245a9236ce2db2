package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/resnet/kernel"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "bench [--arch resnet18] [--size 224] [--batch 8] [--mode train|infer|frozen] [--json]", stderr)
	arch := fs.String("arch", "resnet18", "resnet18, resnet34, resnet50 or resnet101")
	width := fs.Int("width", 64, "base width (64 is torchvision's)")
	size := fs.Int("size", 224, "input size in pixels")
	batch := fs.Int("batch", 8, "images per batch")
	classes := fs.Int("classes", 10, "number of classes")
	head := fs.String("head", "linear", "head hidden sizes such as 512,64, or linear")
	pooling := fs.String("pooling", "avg", "avg, or flatten (keras-tutorial's)")
	mode := fs.String("mode", "train", "train, infer or frozen")
	steps := fs.Int("steps", 5, "timed steps (the median is reported)")
	warmup := fs.Int("warmup", 1, "untimed steps first")
	micro := fs.Int("micro-batch", 0, "images per graph run (0: chosen from the memory budget)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	workers := fs.Int("workers", 0, "goroutines the kernels use, GOMAXPROCS (0: one per core)")
	blasThreads := fs.Int("blas-threads", 0, "OpenBLAS threads per matrix product, openblas build (0: 1)")
	gemmKind := fs.String("gemm", "", "matrix product: "+strings.Join(kernel.Products(), ", ")+" (this build on this CPU; default the first, the fastest)")
	convKind := fs.String("conv", "", "convolutions: "+strings.Join(kernel.Convolutions(), ", ")+" (this build; default the first)")
	if _, err := parseCommandLine(fs, args); err != nil {
		return err
	}
	depth, err := resnet.ParseArch(*arch)
	if err != nil {
		return usagef("--arch: %w", err)
	}
	hidden, err := resnet.ParseHead(*head)
	if err != nil {
		return usagef("--head: %w", err)
	}
	pool := resnet.Pooling(*pooling)
	if pool != resnet.PoolAvg && pool != resnet.PoolFlatten {
		return usagef("--pooling %q: want avg or flatten", *pooling)
	}
	cfg := resnet.Config{Depth: depth.Depth(), Width: *width, InputSize: *size, Classes: *classes, Pooling: pool,
		Hidden: hidden, Mode: resnet.ModeScratch}
	if err := cfg.Validate(); err != nil {
		return usagef("%w", err)
	}
	switch *mode {
	case "train", "infer", "frozen":
	default:
		return usagef("--mode %q: want train, infer or frozen", *mode)
	}
	if *gemmKind != "" && !slices.Contains(kernel.Products(), *gemmKind) && !isOtherBuildsProduct(*gemmKind) {
		return usagef("--gemm %q: want one of %s", *gemmKind, strings.Join(kernel.Products(), ", "))
	}
	if *convKind != "" && !slices.Contains(kernel.Convolutions(), *convKind) && *convKind != "dnnl" {
		return usagef("--conv %q: want one of %s", *convKind, strings.Join(kernel.Convolutions(), ", "))
	}
	res, err := resnet.Bench(ctx, resnet.BenchOptions{Config: cfg, Batch: *batch, Mode: *mode, Steps: *steps, Warmup: *warmup,
		MicroBatch: *micro, Workers: *workers, BLASThreads: *blasThreads, Gemm: *gemmKind, Conv: *convKind})
	if err != nil {
		return err
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(res)
		return nil
	}
	fmt.Fprintf(stdout, "%s width %d, %d px, batch %d (micro-batch %d), %s, convolutions %s, BLAS %s, %d workers\n", res.Arch, res.Width, res.Size, res.Batch, res.MicroBatch, res.Mode, res.Convolutions, res.BLAS, res.Workers)
	fmt.Fprintf(stdout, "  %.3f s/batch (median of %d)  %.1f images/s  peak RSS %.2f GB (estimate %.2f GB)\n",
		res.SecPerBatch, res.Steps, res.ImagesPerSec, float64(res.PeakRSSBytes)/1e9, float64(res.EstimateByte)/1e9)
	return nil
}

// isOtherBuildsProduct says whether a --gemm value names a product of the
// other build (OpenBLAS, or the pure-Go build's), which is refused by the run
// with a line naming the build rather than as a usage error.
func isOtherBuildsProduct(name string) bool {
	return slices.Contains([]string{"avx512", "avx2", "gonum", "openblas"}, name)
}
