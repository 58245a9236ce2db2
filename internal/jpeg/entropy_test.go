package jpeg

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"testing"
)

// decodeStreamed decodes as Decode does but from a stream, which keeps
// Go's byte-at-a-time entropy decoding for every scan: the reference the
// in-memory path of entropy.go must agree with.
func decodeStreamed(data []byte, scale int) (image.Image, error) {
	d := decoder{scale: scale, blockSide: 8 / scale}
	return d.decode(struct{ io.Reader }{bytes.NewReader(data)}, false)
}

// samePixels says where two decodes differ, or "" when they do not.
func samePixels(t *testing.T, got, want image.Image) string {
	if got.Bounds() != want.Bounds() {
		return fmt.Sprintf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	// Compare the planes directly: At boxes every pixel, which is slow
	// enough on a fuzzer's megapixel frames to stall it.
	if fmt.Sprintf("%T", got) == fmt.Sprintf("%T", want) && fmt.Sprintf("%T", want) != "*image.CMYK" {
		gp, wp := planesOf(t, got), planesOf(t, want)
		for k, w := range wp {
			g := gp[k]
			if g.w != w.w || g.h != w.h {
				return fmt.Sprintf("plane %d is %dx%d, want %dx%d", k, g.w, g.h, w.w, w.h)
			}
			for y := range w.h {
				for x := range w.w {
					if gv, wv := g.pix[y*g.stride+x*g.step+g.channel], w.pix[y*w.stride+x*w.step+w.channel]; gv != wv {
						return fmt.Sprintf("plane %d sample (%d,%d) is %d, want %d", k, x, y, gv, wv)
					}
				}
			}
		}
		return ""
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if got.At(x, y) != want.At(x, y) {
				return fmt.Sprintf("pixel (%d,%d) %v, want %v", x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
	return ""
}

// agree checks that Decode and the streamed decoder give the same pixels,
// or the same error, for data at scale.
func agree(t *testing.T, what string, data []byte, scale int) {
	t.Helper()
	want, wantErr := decodeStreamed(data, scale)
	got, err := Decode(data, scale)
	if wantErr != nil {
		if err == nil || err.Error() != wantErr.Error() {
			t.Fatalf("%s at 1/%d: error %v, the streamed decoder's %v", what, scale, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s at 1/%d: %v (the streamed decoder decodes it)", what, scale, err)
	}
	if diff := samePixels(t, got, want); diff != "" {
		t.Fatalf("%s at 1/%d: %s", what, scale, diff)
	}
}

func TestMemoryDecodeMatchesStreamed(t *testing.T) {
	for name, data := range testFiles(t) {
		if bytes.Contains([]byte(name), []byte("cmyk")) {
			continue // handed to image/jpeg whole
		}
		for _, scale := range []int{1, 2, 4, 8} {
			agree(t, name, data, scale)
		}
	}
}

// Damaged files take the same turns on both paths: truncated inside the
// entropy-coded data (short data), cut off at a marker, or with bytes
// changed (bad codes, stray markers, desynchronised restart intervals).
func TestMemoryDecodeMatchesStreamedOnDamagedFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	for name, data := range testFiles(t) {
		if bytes.Contains([]byte(name), []byte("cmyk")) {
			continue
		}
		for i := range 12 {
			cut := len(data) * (i + 4) / 16
			agree(t, fmt.Sprintf("%s cut at %d", name, cut), data[:cut], 2)
		}
		for i := range 24 {
			damaged := bytes.Clone(data)
			at := len(data)/4 + rng.IntN(len(data)*3/4-2)
			damaged[at] = byte(rng.IntN(256))
			if i%3 == 0 {
				damaged[at], damaged[at+1] = 0xff, byte(0xd0+rng.IntN(8))
			}
			agree(t, fmt.Sprintf("%s with byte %d changed", name, at), damaged, 1+i%2)
		}
	}
}

func TestFlatIDCTIsIDCT(t *testing.T) {
	check := func(dc int32) {
		var b block
		b[0] = dc
		idct(&b)
		want := flatIDCT(dc)
		for i, v := range b {
			if v != want {
				t.Fatalf("dc %d: idct's sample %d is %d, flatIDCT %d", dc, i, v, want)
			}
		}
	}
	for dc := int32(-1 << 17); dc <= 1<<17; dc++ {
		check(dc)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		check(int32(rng.Uint32()))
	}
	check(math.MinInt32)
	check(math.MaxInt32)
}

// A combined AC entry is the coefficient the code-then-extra-bits path
// decodes from the same bits.
func TestFastACMatchesCodeThenExtraBits(t *testing.T) {
	for name, data := range testFiles(t) {
		d := decoder{scale: 1, blockSide: 8}
		if _, err := d.decode(bytes.NewReader(data), false); err != nil {
			continue
		}
		for th := range d.huff[acTable] {
			h := &d.huff[acTable][th]
			if h.nCodes == 0 {
				continue
			}
			entries := 0
			for i, e := range h.fastAC {
				if e == 0 {
					continue
				}
				entries++
				r := entropyReader{acc: uint64(i) << (64 - fastBits), n: 64}
				rs, err := r.symbol(h)
				if err != nil {
					t.Fatalf("%s table %d: entry %d: %v", name, th, i, err)
				}
				size := rs & 0x0f
				v := extend(r.take(size), size)
				if run, used := int(e>>8&0xff), uint(e&0xff); v != e>>16 || run != int(rs>>4) || used != 64-r.n {
					t.Fatalf("%s table %d: entry %d is %d after %d zeros in %d bits; the codes give %d after %d in %d",
						name, th, i, e>>16, run, used, v, rs>>4, 64-r.n)
				}
			}
			if entries == 0 {
				t.Fatalf("%s table %d: no combined entries", name, th)
			}
		}
	}
}
