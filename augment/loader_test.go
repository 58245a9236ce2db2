package augment

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// memSplit returns n in-memory images of varied sizes in 3 classes.
func memSplit(n int) Split {
	s := Split{Name: "train", Classes: []string{"a", "b", "c"}}
	for i := range n {
		w, h := 20+i%7, 18+i%5
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.SetNRGBA(x, y, color.NRGBA{uint8(x*9 + i), uint8(y*11 + 3*i), uint8(i * 17), 255})
			}
		}
		s.Samples = append(s.Samples, Sample{Path: fmt.Sprintf("mem/%d.png", i), Label: i % 3, Image: img})
	}
	return s
}

// collect reads a whole epoch.
func collect(t *testing.T, l *Loader, epoch int) []*Batch {
	t.Helper()
	it := l.Epoch(context.Background(), epoch)
	defer it.Close()
	var out []*Batch
	for {
		b, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func TestLoaderSameSeedSameBatches(t *testing.T) {
	split := memSplit(23)
	opts := LoaderOptions{Size: 16, BatchSize: 5, Augment: DefaultParams(), Shuffle: true, Seed: 42}
	var runs [][]*Batch
	for _, workers := range []int{1, 4, 3} {
		o := opts
		o.Workers = workers
		o.Prefetch = workers // vary the pipeline too
		if workers == 3 {
			o.CacheBytes = -1
		}
		l, err := NewLoader(split, o)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, collect(t, l, 3))
	}
	for r := 1; r < len(runs); r++ {
		if len(runs[r]) != len(runs[0]) {
			t.Fatalf("run %d: %d batches vs %d", r, len(runs[r]), len(runs[0]))
		}
		for i := range runs[0] {
			a, b := runs[0][i], runs[r][i]
			if !reflect.DeepEqual(a.Labels(), b.Labels()) || !reflect.DeepEqual(a.Paths(), b.Paths()) ||
				!reflect.DeepEqual(a.Pixels(), b.Pixels()) {
				t.Fatalf("run %d batch %d differs", r, i)
			}
		}
	}
	// A different epoch shuffles and augments differently.
	l, _ := NewLoader(split, opts)
	other := collect(t, l, 4)
	if reflect.DeepEqual(other[0].Paths(), runs[0][0].Paths()) {
		t.Error("epochs 3 and 4 have the same order")
	}
	// And a different seed too.
	opts.Seed = 43
	l, _ = NewLoader(split, opts)
	if reflect.DeepEqual(collect(t, l, 3)[0].Pixels(), runs[0][0].Pixels()) {
		t.Error("seeds 42 and 43 give the same first batch")
	}
}

func TestLoaderBatchesShapeAndLastPartial(t *testing.T) {
	split := memSplit(11)
	l, err := NewLoader(split, LoaderOptions{Size: 8, BatchSize: 4, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	batches := collect(t, l, 0)
	if len(batches) != 3 || l.NumBatches() != 3 {
		t.Fatalf("%d batches (NumBatches %d), want 3", len(batches), l.NumBatches())
	}
	var sizes []int
	var labels []int
	for i, b := range batches {
		sizes = append(sizes, b.Len())
		labels = append(labels, b.Labels()...)
		if len(b.Pixels()) != b.Len()*3*8*8 || len(b.Paths()) != b.Len() || b.Size() != 8 || b.Index() != i {
			t.Errorf("batch %d: %d pixels, %d paths, size %d, index %d", i, len(b.Pixels()), len(b.Paths()), b.Size(), b.Index())
		}
	}
	if !reflect.DeepEqual(sizes, []int{4, 4, 3}) {
		t.Errorf("sizes %v", sizes)
	}
	// No shuffle: split order.
	if !reflect.DeepEqual(labels, []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}) || batches[2].Paths()[2] != "mem/10.png" {
		t.Errorf("labels %v, last path %s", labels, batches[2].Paths()[2])
	}
}

func TestValidationBatchesEqualPreprocess(t *testing.T) {
	split := memSplit(6)
	for _, norm := range []Normalization{NormImageNet, NormCaffeBGR} {
		l, _ := NewLoader(split, LoaderOptions{Size: 12, BatchSize: 4, Norm: norm})
		for pass := range 2 { // second pass comes from the cache
			batches := collect(t, l, pass)
			k := 0
			for _, b := range batches {
				for j := range b.Len() {
					want, err := Preprocess(split.Samples[k].Image, 12, norm)
					if err != nil {
						t.Fatal(err)
					}
					got := b.Pixels()[j*len(want) : (j+1)*len(want)]
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%v pass %d image %d differs from Preprocess", norm, pass, k)
					}
					k++
				}
			}
		}
	}
}

func TestLoaderSkipsCorruptImages(t *testing.T) {
	root := t.TempDir()
	for i := range 6 {
		writePNG(t, filepath.Join(root, "x", fmt.Sprintf("%d.png", i)), coords(20, 20))
	}
	bad := filepath.Join(root, "x", "3.png")
	writeFile(t, bad, []byte("\x89PNG\r\n\x1a\n garbage"))
	ds, err := OpenDataset(root, OpenOptions{ValidFraction: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	split := Split{Name: "all", Classes: ds.Classes, Samples: append(ds.Train.Samples, ds.Valid.Samples...)}
	var calls atomic.Int32
	l, _ := NewLoader(split, LoaderOptions{Size: 8, BatchSize: 4, Augment: DefaultParams(), Shuffle: true,
		OnSkip: func(SkippedImage) { calls.Add(1) }})
	for epoch := range 3 {
		n := 0
		for _, b := range collect(t, l, epoch) {
			n += b.Len()
			for _, p := range b.Paths() {
				if p == bad {
					t.Fatal("corrupt image delivered")
				}
			}
		}
		if n != 5 {
			t.Errorf("epoch %d: %d images, want 5", epoch, n)
		}
	}
	r := l.Skipped()
	if r.Count != 1 || len(r.First) != 1 || r.First[0].Path != bad || calls.Load() != 1 {
		t.Errorf("report %+v, OnSkip calls %d", r, calls.Load())
	}
	if s := r.String(); !strings.Contains(s, "1 unreadable") || !strings.Contains(s, bad) {
		t.Errorf("report string %q", s)
	}
}

func TestLoaderAllBadBatchIsLeftOut(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a", "1.jpg"), []byte("nope"))
	writeFile(t, filepath.Join(root, "a", "2.jpg"), []byte("nope"))
	writePNG(t, filepath.Join(root, "a", "3.png"), coords(9, 9))
	split := Split{Name: "x", Classes: []string{"a"}, Samples: []Sample{
		{Path: filepath.Join(root, "a", "1.jpg")}, {Path: filepath.Join(root, "a", "2.jpg")}, {Path: filepath.Join(root, "a", "3.png")},
	}}
	l, _ := NewLoader(split, LoaderOptions{Size: 8, BatchSize: 2})
	batches := collect(t, l, 0)
	if len(batches) != 1 || batches[0].Len() != 1 || l.Skipped().Count != 2 {
		t.Errorf("%d batches, skipped %d", len(batches), l.Skipped().Count)
	}
}

func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines leaked: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoaderCancellationLeaksNothing(t *testing.T) {
	split := memSplit(40)
	l, _ := NewLoader(split, LoaderOptions{Size: 16, BatchSize: 2, Workers: 4, Augment: DefaultParams()})
	base := runtime.NumGoroutine()

	// Cancelled before the first batch.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	it := l.Epoch(ctx, 0)
	if _, err := it.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: got %v", err)
	}
	if _, err := it.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("second Next after cancel: got %v", err)
	}
	waitGoroutines(t, base)

	// Cancelled mid-epoch, consumer stops reading.
	ctx, cancel = context.WithCancel(context.Background())
	it = l.Epoch(ctx, 1)
	if _, err := it.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	var err error
	for range 100 {
		if _, err = it.Next(); err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("mid-epoch cancel: got %v", err)
	}
	waitGoroutines(t, base)

	// Closed early without cancelling.
	it = l.Epoch(context.Background(), 2)
	it.Next()
	it.Close()
	if _, err := it.Next(); err != io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
	it.Close()
	waitGoroutines(t, base)

	// A deadline behaves the same.
	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, err := l.Epoch(ctx, 3).Next(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	waitGoroutines(t, base)
}

func TestLoaderCacheLimit(t *testing.T) {
	split := memSplit(10)
	l, _ := NewLoader(split, LoaderOptions{Size: 16, BatchSize: 3, Augment: DefaultParams()})
	collect(t, l, 0)
	st := l.CacheStats()
	if st.Images != 10 || st.Bytes <= 0 || st.Limit != DefaultCacheBytes {
		t.Errorf("full cache: %+v", st)
	}
	one := int64(4 * 20 * 18) // smallest image
	l, _ = NewLoader(split, LoaderOptions{Size: 16, BatchSize: 3, CacheBytes: 3 * one, Augment: DefaultParams()})
	collect(t, l, 0)
	if st := l.CacheStats(); st.Images == 0 || st.Images >= 10 || st.Bytes > 3*one {
		t.Errorf("limited cache: %+v", st)
	}
	l, _ = NewLoader(split, LoaderOptions{Size: 16, CacheBytes: -1})
	collect(t, l, 0)
	if st := l.CacheStats(); st.Images != 0 || st.Limit != 0 {
		t.Errorf("disabled cache: %+v", st)
	}
}

func TestLoaderAugmentsTrainingOnly(t *testing.T) {
	split := memSplit(4)
	val, _ := NewLoader(split, LoaderOptions{Size: 12})
	a, b := collect(t, val, 0), collect(t, val, 1)
	if !reflect.DeepEqual(a[0].Pixels(), b[0].Pixels()) {
		t.Error("validation batches change between epochs")
	}
	train, _ := NewLoader(split, LoaderOptions{Size: 12, Augment: DefaultParams()})
	a, b = collect(t, train, 0), collect(t, train, 1)
	if reflect.DeepEqual(a[0].Pixels(), b[0].Pixels()) {
		t.Error("training batches identical between epochs")
	}
	// The loader's draw is the public one.
	if got, want := train.Transform(1, 2), DefaultParams().Sample(ImageRand(0, 1, 2)); got != want {
		t.Errorf("Transform %+v, want %+v", got, want)
	}
}

func TestNewLoaderRejectsBadOptions(t *testing.T) {
	split := memSplit(2)
	for _, o := range []LoaderOptions{
		{Size: -1}, {BatchSize: -3}, {Norm: Normalization(9)}, {Augment: Params{Zoom: 3}},
	} {
		if _, err := NewLoader(split, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	split.Samples[0].Label = 7
	if _, err := NewLoader(split, LoaderOptions{}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("bad label: %v", err)
	}
}

func TestEpochFromSkipsBatches(t *testing.T) {
	split := memSplit(13)
	l, _ := NewLoader(split, LoaderOptions{Size: 8, BatchSize: 4, Augment: DefaultParams(), Shuffle: true, Seed: 9})
	all := collect(t, l, 2)
	it := l.EpochFrom(context.Background(), 2, 2)
	defer it.Close()
	var rest []*Batch
	for {
		b, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, b)
	}
	if len(rest) != 2 || rest[0].Index() != 2 {
		t.Fatalf("%d batches from 2, first index %d", len(rest), rest[0].Index())
	}
	for i, b := range rest {
		if !reflect.DeepEqual(b.Pixels(), all[i+2].Pixels()) || !reflect.DeepEqual(b.Paths(), all[i+2].Paths()) {
			t.Errorf("batch %d differs from the full epoch's", i+2)
		}
	}
	if b, err := l.EpochFrom(context.Background(), 2, 9).Next(); err != io.EOF {
		t.Errorf("past the end: %v %v", b, err)
	}
}
