package augment

import (
	"context"
	"io"
	"testing"
	"time"
)

// flowersTrain opens flowers10's training split, skipping when absent.
func flowersTrain(b *testing.B) Split {
	ds, err := OpenDataset(flowersRoot(b), OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return ds.Train
}

// runEpoch drains one epoch and returns the number of images.
func runEpoch(b *testing.B, l *Loader, epoch int) int {
	it := l.Epoch(context.Background(), epoch)
	defer it.Close()
	n := 0
	for {
		batch, err := it.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n += batch.Len()
	}
}

func benchOptions() LoaderOptions {
	return LoaderOptions{Size: 224, BatchSize: 32, Augment: DefaultParams(), Shuffle: true, Seed: 1}
}

// BenchmarkLoaderCold measures a first epoch: JPEG decoding, resizing,
// augmenting and batching of flowers10 train at 224 px.
func BenchmarkLoaderCold(b *testing.B) {
	split := flowersTrain(b)
	images := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		l, err := NewLoader(split, benchOptions())
		if err != nil {
			b.Fatal(err)
		}
		images += runEpoch(b, l, i)
	}
	b.ReportMetric(float64(images)/time.Since(start).Seconds(), "images/s")
}

// BenchmarkLoaderWarm measures later epochs, served from the decoded
// image cache: augmentation, normalisation and batching only.
func BenchmarkLoaderWarm(b *testing.B) {
	split := flowersTrain(b)
	l, err := NewLoader(split, benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	runEpoch(b, l, 0)
	if st := l.CacheStats(); st.Images != split.Len() {
		b.Fatalf("cache holds %d of %d images", st.Images, split.Len())
	}
	b.ResetTimer()
	images := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		images += runEpoch(b, l, i+1)
	}
	b.ReportMetric(float64(images)/time.Since(start).Seconds(), "images/s")
}
