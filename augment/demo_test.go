package augment

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDemoDeterministicAndShaped(t *testing.T) {
	opts := DemoOptions{Size: 32, Train: 4, Valid: 2, Seed: 5}
	a, err := Demo(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Demo(opts)
	if a.Train.Len() != 24 || a.Valid.Len() != 12 || len(a.Classes) != 6 {
		t.Fatalf("train %d valid %d classes %d", a.Train.Len(), a.Valid.Len(), len(a.Classes))
	}
	for i := range a.Train.Samples {
		if !reflect.DeepEqual(a.Train.Samples[i].Image.Pix, b.Train.Samples[i].Image.Pix) {
			t.Fatal("same options, different pixels")
		}
	}
	if a.Fingerprint != b.Fingerprint || a.Fingerprint == "" {
		t.Error("fingerprint unstable")
	}
	c, _ := Demo(DemoOptions{Size: 32, Train: 4, Valid: 2, Seed: 6})
	if reflect.DeepEqual(a.Train.Samples[0].Image.Pix, c.Train.Samples[0].Image.Pix) || c.Fingerprint == a.Fingerprint {
		t.Error("seed has no effect")
	}
	// Train and valid images differ.
	if reflect.DeepEqual(a.Train.Samples[0].Image.Pix, a.Valid.Samples[0].Image.Pix) {
		t.Error("valid repeats train")
	}
	if got := a.Train.Counts(); !reflect.DeepEqual(got, []int{4, 4, 4, 4, 4, 4}) {
		t.Errorf("counts %v", got)
	}
	// Usable by the loader as it is.
	l, err := NewLoader(a.Train, LoaderOptions{Size: 32, BatchSize: 10, Augment: DefaultParams(), Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(collect(t, l, 0)); n != 3 {
		t.Errorf("%d batches", n)
	}
}

func TestDemoIsNotTrivial(t *testing.T) {
	// A nearest-class-mean classifier on raw pixels, fitted on the
	// training images, should do poorly on the validation images: colour
	// and position are random, so class means are near-uniform blurs.
	ds, err := Demo(DemoOptions{Size: 32, Train: 30, Valid: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := 32 * 32 * 3
	means := make([][]float64, 6)
	for c := range means {
		means[c] = make([]float64, n)
	}
	for _, s := range ds.Train.Samples {
		for i, j := 0, 0; i < len(s.Image.Pix); i += 4 {
			for k := range 3 {
				means[s.Label][j] += float64(s.Image.Pix[i+k]) / 30
				j++
			}
		}
	}
	correct := 0
	for _, s := range ds.Valid.Samples {
		best, bestD := -1, 0.0
		for c := range means {
			d := 0.0
			for i, j := 0, 0; i < len(s.Image.Pix); i += 4 {
				for k := range 3 {
					v := float64(s.Image.Pix[i+k]) - means[c][j]
					d += v * v
					j++
				}
			}
			if best < 0 || d < bestD {
				best, bestD = c, d
			}
		}
		if best == s.Label {
			correct++
		}
	}
	acc := float64(correct) / float64(ds.Valid.Len())
	t.Logf("nearest class mean accuracy %.2f (chance 0.17)", acc)
	if acc > 0.5 {
		t.Errorf("demo too easy: nearest mean gets %.2f", acc)
	}
}

func TestWriteDemoRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	opts := DemoOptions{Size: 16, Train: 3, Valid: 2, Seed: 2}
	if err := WriteDemo(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	ds, err := OpenDataset(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := Demo(opts)
	if !reflect.DeepEqual(ds.Classes, mem.Classes) || ds.Train.Len() != 18 || ds.Valid.Len() != 12 {
		t.Fatalf("classes %v train %d valid %d", ds.Classes, ds.Train.Len(), ds.Valid.Len())
	}
	for i, s := range ds.Train.Samples {
		img, err := LoadImage(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		if s.Label != mem.Train.Samples[i].Label || !reflect.DeepEqual(img.Pix, mem.Train.Samples[i].Image.Pix) {
			t.Fatalf("%s differs from the in-memory demo", s.Path)
		}
	}
	// Refuses to write into a non-empty folder, and stops when cancelled.
	if err := WriteDemo(context.Background(), dir, opts); err == nil {
		t.Error("wrote into a non-empty folder")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteDemo(ctx, filepath.Join(t.TempDir(), "x"), opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}
