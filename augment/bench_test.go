package augment

import (
	"context"
	"fmt"
	"github.com/reslab/reslab/internal/turbojpeg"
	"io"
	"os"
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

// BenchmarkPrepareJPEG times one flowers10 image from its bytes to the
// loader's prepared form (decoded and resized, what the disk cache keeps)
// for each input size, decoding at full size and at the reduced scale the
// loader uses, by reslab's decoder and by libjpeg-turbo where it loads
// (ms per image).
func BenchmarkPrepareJPEG(b *testing.B) {
	split := flowersTrain(b)
	var files [][]byte
	for _, s := range split.Samples[:min(60, len(split.Samples))] {
		data, err := os.ReadFile(s.Path)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
	}
	scale := cacheScale(DefaultParams())
	decoders := []JPEGDecoder{JPEGGo}
	if err := turbojpeg.Available(); err == nil {
		decoders = append(decoders, JPEGFastest)
	} else {
		b.Logf("libjpeg-turbo left out: %v", err)
	}
	for _, size := range []int{64, 128, 224} {
		side := preparedSide(size, true, scale)
		for _, reduced := range []bool{false, true} {
			for _, dec := range decoders {
				name := fmt.Sprintf("%dpx/full/%s", size, dec.Name())
				opts := DecodeOptions{MaxSide: 4 * size, JPEG: dec}
				if reduced {
					name = fmt.Sprintf("%dpx/reduced/%s", size, dec.Name())
					opts.MinSide = side
				}
				b.Run(name, func(b *testing.B) {
					for i := range b.N {
						img, err := decodeRaw(files[i%len(files)], opts)
						if err != nil {
							b.Fatal(err)
						}
						prepareScaled(img, size, true, scale)
					}
					b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/image")
				})
			}
		}
	}
}
