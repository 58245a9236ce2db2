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
	cfg := Config{Depth: depth, Width: 64, InputSize: size, Classes: 10, Pooling: PoolAvg, Mode: ModeScratch}
	m, err := NewModel(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	m.SetMicroBatch(8)
	batch := randomBatch(8, size, cfg.Classes, 1)
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
	b.ReportMetric(float64(8*b.N)/b.Elapsed().Seconds(), "images/s")
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
