package augment

import (
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// fileSplit writes n PNG images of varied sizes into dir and returns them
// as a split.
func fileSplit(t *testing.T, dir string, n int) Split {
	t.Helper()
	s := Split{Name: "train", Dir: dir, Classes: []string{"a", "b"}}
	for i := range n {
		img := coords(30+3*i, 24+2*i)
		img.Pix[0] = uint8(40 * i) // each image its own
		p := filepath.Join(dir, s.Classes[i%2], filepath.Base(t.Name())+string(rune('a'+i))+".png")
		writePNG(t, p, img)
		s.Samples = append(s.Samples, Sample{Path: p, Label: i % 2})
	}
	return s
}

func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && filepath.Ext(p) == ".rgb" {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestDiskCacheServesTheNextLoader: a second loader over the same files
// gets the first one's images from the disk cache — the same batches bit
// for bit, even after the files' bytes are replaced by garbage of the same
// size and time, which only a cache hit survives — while a file changed
// (a new modification time) is decoded again.
func TestDiskCacheServesTheNextLoader(t *testing.T) {
	data := t.TempDir()
	split := fileSplit(t, data, 5)
	cache := &DiskCache{Dir: t.TempDir()}
	for _, augmenting := range []bool{false, true} {
		opts := LoaderOptions{Size: 16, BatchSize: 2, Seed: 3, DiskCache: cache}
		if augmenting {
			opts.Augment, opts.Shuffle = DefaultParams(), true
		}
		plain := opts
		plain.DiskCache = nil
		lp, _ := NewLoader(split, plain)
		want := collect(t, lp, 1)
		l1, _ := NewLoader(split, opts)
		if got := collect(t, l1, 1); !reflect.DeepEqual(pixelsOf(got), pixelsOf(want)) {
			t.Fatalf("augmenting %v: the loader filling the cache gives other batches than one without", augmenting)
		}
		l2, _ := NewLoader(split, opts)
		if got := collect(t, l2, 1); !reflect.DeepEqual(pixelsOf(got), pixelsOf(want)) {
			t.Fatalf("augmenting %v: the loader reading the cache gives other batches", augmenting)
		}
	}
	if n := len(cacheEntries(t, cache.Dir)); n != 2*len(split.Samples) {
		t.Fatalf("%d entries, want one per image and form (%d)", n, 2*len(split.Samples))
	}

	opts := LoaderOptions{Size: 16, BatchSize: 2, Seed: 3, DiskCache: cache}
	l, _ := NewLoader(split, opts)
	want := collect(t, l, 1)
	for _, s := range split.Samples { // garbage of the same size and time
		fi, _ := os.Stat(s.Path)
		os.WriteFile(s.Path, make([]byte, fi.Size()), 0o644)
		os.Chtimes(s.Path, fi.ModTime(), fi.ModTime())
	}
	l, _ = NewLoader(split, opts)
	if got := collect(t, l, 1); !reflect.DeepEqual(pixelsOf(got), pixelsOf(want)) || len(l.Skipped().First) != 0 {
		t.Fatalf("with the files' bytes gone the cache was not read (skipped %v)", l.Skipped().First)
	}

	// A rewritten file is a miss: decoded afresh, here to another colour.
	p := split.Samples[0].Path
	writePNG(t, p, solid(30, 24, color.NRGBA{200, 10, 10, 255}))
	later := time.Now().Add(time.Minute)
	os.Chtimes(p, later, later)
	l, _ = NewLoader(Split{Name: "train", Dir: data, Classes: split.Classes, Samples: split.Samples[:1]}, opts)
	got := collect(t, l, 1)[0].Pixels()
	if reflect.DeepEqual(got, want[0].Pixels()[:len(got)]) {
		t.Fatal("a rewritten file still read the old entry")
	}
}

func pixelsOf(bs []*Batch) [][]float32 {
	out := make([][]float32, len(bs))
	for i, b := range bs {
		out[i] = b.Pixels()
	}
	return out
}

// TestDiskCacheDropsDamagedEntries: an entry cut short or of another
// format is a miss (the image is decoded, nothing is skipped) and is
// replaced by a whole one.
func TestDiskCacheDropsDamagedEntries(t *testing.T) {
	split := fileSplit(t, t.TempDir(), 2)
	cache := &DiskCache{Dir: t.TempDir()}
	opts := LoaderOptions{Size: 16, BatchSize: 2, DiskCache: cache}
	l, _ := NewLoader(split, opts)
	want := collect(t, l, 0)
	entries := cacheEntries(t, cache.Dir)
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	whole, _ := os.ReadFile(entries[0])
	os.WriteFile(entries[0], whole[:len(whole)-7], 0o644) // torn
	os.WriteFile(entries[1], []byte("GIF89a not an entry"), 0o644)
	l, _ = NewLoader(split, opts)
	if got := collect(t, l, 0); !reflect.DeepEqual(pixelsOf(got), pixelsOf(want)) || len(l.Skipped().First) != 0 {
		t.Fatalf("damaged entries changed the batches or skipped images (%v)", l.Skipped().First)
	}
	if again, _ := os.ReadFile(entries[0]); !reflect.DeepEqual(again, whole) {
		t.Fatal("the torn entry was not replaced by a whole one")
	}
}

// TestDiskCacheStaysWithinItsLimit: past its limit the cache removes the
// least recently used entries, down to 80 % of it.
func TestDiskCacheStaysWithinItsLimit(t *testing.T) {
	split := fileSplit(t, t.TempDir(), 8)
	// Each entry here is 16 + 3·w·h bytes with a shorter side of 16.
	cache := &DiskCache{Dir: t.TempDir(), Limit: 3000}
	l, _ := NewLoader(split, LoaderOptions{Size: 16, BatchSize: 4, DiskCache: cache, CacheBytes: -1})
	collect(t, l, 0)
	var total int64
	entries := cacheEntries(t, cache.Dir)
	for _, p := range entries {
		fi, _ := os.Stat(p)
		total += fi.Size()
	}
	if total > cache.Limit || len(entries) == 0 || len(entries) == len(split.Samples) {
		t.Fatalf("%d entries of %d bytes in all for a limit of %d", len(entries), total, cache.Limit)
	}
}
