package augment

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/disintegration/imaging"
)

// smooth returns a w×h image of slow colour gradients.
func smooth(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			img.SetNRGBA(x, y, color.NRGBA{
				uint8(40 + 180*fx), uint8(200 - 150*fy), uint8(128 + 100*math.Sin(3*fx+2*fy)), 255})
		}
	}
	return img
}

func maxDiff(t *testing.T, a, b *image.NRGBA) int {
	t.Helper()
	if a.Rect.Size() != b.Rect.Size() {
		t.Fatalf("sizes %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	m := 0
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			p, q := a.NRGBAAt(x, y), b.NRGBAAt(x, y)
			for _, d := range []int{int(p.R) - int(q.R), int(p.G) - int(q.G), int(p.B) - int(q.B)} {
				m = max(m, d, -d)
			}
		}
	}
	return m
}

func TestResizeMatchesImagingLinear(t *testing.T) {
	src := coords(50, 37) // sharp-ish ramps
	for _, sz := range [][2]int{{25, 18}, {13, 40}, {50, 20}, {80, 37}, {7, 5}} {
		got := resizeTo(src, sz[0], sz[1])
		want := imaging.Resize(src, sz[0], sz[1], imaging.Linear)
		if d := maxDiff(t, got, want); d > 1 {
			t.Errorf("%v: differs from imaging.Linear by %d", sz, d)
		}
		for i := 3; i < len(got.Pix); i += 4 {
			if got.Pix[i] != 255 {
				t.Fatal("resized image not opaque")
			}
		}
	}
}

func TestResizeYCbCrPlanes(t *testing.T) {
	src := smooth(96, 72)
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422} {
		ycc := image.NewYCbCr(src.Rect, ratio)
		for y := range 72 {
			for x := range 96 {
				p := src.NRGBAAt(x, y)
				yy, cb, cr := color.RGBToYCbCr(p.R, p.G, p.B)
				ycc.Y[ycc.YOffset(x, y)] = yy
				ycc.Cb[ycc.COffset(x, y)] = cb
				ycc.Cr[ycc.COffset(x, y)] = cr
			}
		}
		got := resizeTo(ycc, 40, 30)
		want := imaging.Resize(imaging.Clone(ycc), 40, 30, imaging.Linear)
		if d := maxDiff(t, got, want); d > 3 {
			t.Errorf("%v: plane-wise resize differs from RGB resize by %d", ratio, d)
		}
	}
}

func TestResizeUpscalesAndKeepsSolids(t *testing.T) {
	c := color.NRGBA{12, 200, 99, 255}
	got := resizeTo(solid(1, 1, c), 5, 3)
	for y := range 3 {
		for x := range 5 {
			if got.NRGBAAt(x, y) != c {
				t.Fatalf("(%d,%d) = %v", x, y, got.NRGBAAt(x, y))
			}
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 10, 10))
	for i := range gray.Pix {
		gray.Pix[i] = 90
	}
	if p := resizeTo(gray, 4, 4).NRGBAAt(2, 2); p != (color.NRGBA{90, 90, 90, 255}) {
		t.Errorf("grey resize gave %v", p)
	}
}

func TestPreprocessFileEqualsValidationBatch(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, sz := range [][2]int{{60, 45}, {33, 70}, {24, 24}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, smooth(sz[0], sz[1]), &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "c", string(rune('a'+i))+".jpg")
		writeFile(t, p, buf.Bytes())
		paths = append(paths, p)
	}
	split := Split{Name: "valid", Classes: []string{"c"}}
	for _, p := range paths {
		split.Samples = append(split.Samples, Sample{Path: p})
	}
	l, err := NewLoader(split, LoaderOptions{Size: 24, BatchSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	it := l.Epoch(context.Background(), 0)
	defer it.Close()
	b, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	per := 3 * 24 * 24
	for i, p := range paths {
		want, err := PreprocessFile(p, 24, NormImageNet, JPEGFastest)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(b.Pixels()[i*per:(i+1)*per], want) {
			t.Errorf("%s: validation batch differs from PreprocessFile", p)
		}
	}
}

// resampleByTaps is resample's single-plane arithmetic as plain loops
// over each output's taps: the unrolled and fixed-tap passes must give
// its bytes exactly.
func resampleByTaps(src []uint8, sw, sh, sstride int, dst []uint8, dw, dh int) {
	vw, hw := triangleWeights(dh, sh), triangleWeights(dw, sw)
	acc := make([]float32, sw)
	for y := range dh {
		for i := range acc {
			var a float32
			for k, wk := range vw.w[vw.off[y] : vw.off[y]+vw.n[y]] {
				a += wk * float32(src[(vw.start[y]+k)*sstride+i])
			}
			acc[i] = a
		}
		for x := range dw {
			var a float32
			for k, wk := range hw.w[hw.off[x] : hw.off[x]+hw.n[x]] {
				a += wk * acc[hw.start[x]+k]
			}
			dst[y*dw+x] = clampByte(a)
		}
	}
}

// TestResampleIsThePlainTapLoops compares resample with resampleByTaps
// over shrinking by up to 5× (up to eleven taps) and enlarging, on noise.
func TestResampleIsThePlainTapLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 300 {
		sw, sh := 1+rng.IntN(90), 1+rng.IntN(90)
		dw, dh := 1+rng.IntN(5*sw+1)/5, 1+rng.IntN(5*sh+1)/5
		if trial%5 == 0 {
			dw, dh = sw+rng.IntN(20), sh+rng.IntN(20)
		}
		if dw == sw || dh == sh {
			continue
		}
		stride := sw + rng.IntN(3)
		src := make([]uint8, sh*stride)
		for i := range src {
			src[i] = uint8(rng.IntN(256))
		}
		got, want := make([]uint8, dw*dh), make([]uint8, dw*dh)
		resample(src, sw, sh, stride, got, dw, dh, dw, 1)
		resampleByTaps(src, sw, sh, stride, want, dw, dh)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d×%d → %d×%d: the bytes differ", sw, sh, dw, dh)
		}
	}
}
