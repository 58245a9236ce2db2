package resnet

import (
	"context"
	"fmt"
	"testing"

	"github.com/reslab/reslab/internal/sysmem"
)

// benchmarkStep times one training step (forward, backward, Adam) or one
// inference pass of a torchvision-width network at batch 8.
func benchmarkStep(b *testing.B, depth, size int, infer bool) {
	benchmarkConfig(b, Config{Depth: depth, Width: 64, InputSize: size, Classes: 10, Pooling: PoolAvg, Mode: ModeScratch}, 8, infer)
}

// BenchmarkRecipeStep times a training step of the presets' networks at
// their batch size: quick (ResNet-18 width 16, 64 px) and flowers-scratch
// (width 32, 128 px), batch 32, whose epochs benchmarks/epochs.sh times.
func BenchmarkRecipeStep(b *testing.B) {
	for _, r := range []struct {
		name        string
		width, size int
	}{{"quick", 16, 64}, {"flowers-scratch", 32, 128}} {
		b.Run(r.name, func(b *testing.B) {
			benchmarkConfig(b, Config{Depth: 18, Width: r.width, InputSize: r.size, Classes: 10, Pooling: PoolAvg, Mode: ModeScratch}, 32, false)
		})
	}
}

func benchmarkConfig(b *testing.B, cfg Config, images int, infer bool) {
	m, err := NewModel(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	m.SetMicroBatch(images)
	batch := randomBatch(images, cfg.InputSize, cfg.Classes, 1)
	step := func() error {
		if infer {
			_, err := m.Logits(context.Background(), batch)
			return err
		}
		_, err := m.TrainStep(context.Background(), batch, 1e-4)
		return err
	}
	if err := step(); err != nil { // build the graph outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(images*b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(sysmem.PeakRSS())/1e9, "peakRSS-GB")
}

// BenchmarkTrainStep and BenchmarkForward cover ResNet-18 and ResNet-50 at
// 64, 128 and 224 px, batch 8. Run with -tags openblas for OpenBLAS.
func BenchmarkTrainStep(b *testing.B) {
	for _, depth := range []int{18, 50} {
		for _, size := range []int{64, 128, 224} {
			b.Run(fmt.Sprintf("resnet%d/%dpx", depth, size), func(b *testing.B) { benchmarkStep(b, depth, size, false) })
		}
	}
}

func BenchmarkForward(b *testing.B) {
	for _, depth := range []int{18, 50} {
		for _, size := range []int{64, 128, 224} {
			b.Run(fmt.Sprintf("resnet%d/%dpx", depth, size), func(b *testing.B) { benchmarkStep(b, depth, size, true) })
		}
	}
}
