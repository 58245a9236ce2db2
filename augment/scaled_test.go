package augment

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/disintegration/imaging"
)

// smoothJPEG is a w×h JPEG of smooth colour gradients (what a reduced
// decode keeps) at quality 95.
func smoothJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), uint8(128 + 100*math.Sin(float64(x+y)/9)), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMinSideDecodesJPEGsReduced: with MinSide a JPEG decodes at the
// smallest of 1/2, 1/4, 1/8 that keeps its shorter side at least MinSide,
// and resized to the same size it matches the full decode within a couple
// of levels.
func TestMinSideDecodesJPEGsReduced(t *testing.T) {
	data := smoothJPEG(t, 200, 120)
	for _, c := range []struct{ minSide, wantW, wantH int }{
		{0, 200, 120}, {100, 200, 120}, {60, 100, 60}, {24, 50, 30}, {15, 25, 15},
	} {
		img, err := decodeRaw(data, DecodeOptions{MinSide: c.minSide})
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != c.wantW || b.Dy() != c.wantH {
			t.Errorf("MinSide %d: decoded %v, want %dx%d", c.minSide, b.Size(), c.wantW, c.wantH)
		}
	}
	full, err := decodeRaw(data, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reduced, err := decodeRaw(data, DecodeOptions{MinSide: 15})
	if err != nil {
		t.Fatal(err)
	}
	a, b := ResizeShorter(full, 15), ResizeShorter(reduced, 15)
	if a.Rect != b.Rect {
		t.Fatalf("resized to %v and %v", a.Rect, b.Rect)
	}
	var sum float64
	for i := range a.Pix {
		sum += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	if mean := sum / float64(len(a.Pix)); mean > 2 {
		t.Errorf("reduced then resized differs from full then resized by %.2f levels on average", mean)
	}
}

// TestReducedDecodeAppliesEXIFOrientation: the reduced path turns phone
// photos upright as imaging's decoder does (64×32 stored, MinSide 8: decoded
// at 1/4, 16×8, shown 8×16).
func TestReducedDecodeAppliesEXIFOrientation(t *testing.T) {
	img, err := DecodeImage(phoneJPEG(t, 64, 32), DecodeOptions{MinSide: 8})
	if err != nil {
		t.Fatal(err)
	}
	checkUpright(t, img, 8, 16)
}

// TestValidationBatchesEqualPreprocessFile: a loader's validation batches
// of JPEG files equal PreprocessFile value for value, both decoding at the
// same reduced scale.
func TestValidationBatchesEqualPreprocessFile(t *testing.T) {
	dir := t.TempDir()
	s := Split{Name: "valid", Dir: dir, Classes: []string{"a"}}
	for i, wh := range [][2]int{{200, 120}, {96, 160}, {50, 50}} {
		p := filepath.Join(dir, "a", string(rune('p'+i))+".jpg")
		writeFile(t, p, smoothJPEG(t, wh[0], wh[1]))
		s.Samples = append(s.Samples, Sample{Path: p})
	}
	l, err := NewLoader(s, LoaderOptions{Size: 20, BatchSize: 3, Norm: NormImageNet})
	if err != nil {
		t.Fatal(err)
	}
	batches := collect(t, l, 0)
	for i, sample := range s.Samples {
		want, err := PreprocessFile(sample.Path, 20, NormImageNet, JPEGFastest)
		if err != nil {
			t.Fatal(err)
		}
		got := batches[0].Pixels()[i*len(want) : (i+1)*len(want)]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("image %d differs from PreprocessFile", i)
		}
	}
}

// TestAugmentingLoaderKeepsAReducedDecodeSlightlyUnderItsSide: random
// crops at 20 px keep images at a 40-pixel shorter side; a 76-pixel JPEG
// decoded at 1/2 (38 pixels, within reducedDecodeSlack) is kept as it is
// instead of decoded whole and resized to 40.
func TestAugmentingLoaderKeepsAReducedDecodeSlightlyUnderItsSide(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "x.jpg")
	writeFile(t, p, smoothJPEG(t, 76, 90))
	s := Split{Name: "train", Dir: dir, Classes: []string{"a"}, Samples: []Sample{{Path: p}}}
	params := DefaultParams()
	params.CropScale, params.CropRatio = [2]float64{0.25, 1}, [2]float64{3.0 / 4, 4.0 / 3}
	l, err := NewLoader(s, LoaderOptions{Size: 20, BatchSize: 1, Augment: params})
	if err != nil {
		t.Fatal(err)
	}
	img, err := l.prepared(s.Samples[0])
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 38 || img.Rect.Dy() != 45 {
		t.Errorf("prepared %v, want 38x45 (the decode at 1/2 as it is)", img.Rect.Size())
	}
}

// TestYCbCrToNRGBAEqualsImaging: the direct conversion gives imaging.Clone's
// pixels for every subsampling, on a sub-image that starts off the origin.
func TestYCbCrToNRGBAEqualsImaging(t *testing.T) {
	for _, r := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		m := image.NewYCbCr(image.Rect(0, 0, 23, 17), r)
		for i := range m.Y {
			m.Y[i] = uint8(i * 7)
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(i*13+5), uint8(255-i*11)
		}
		for _, rect := range []image.Rectangle{m.Rect, image.Rect(3, 1, 22, 16), image.Rect(2, 3, 21, 17), image.Rect(1, 0, 2, 1)} {
			sub := m.SubImage(rect).(*image.YCbCr)
			got, want := ycbcrToNRGBA(sub), imaging.Clone(sub)
			if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%v, %v: differs from imaging.Clone", r, rect)
			}
		}
	}
}
