//go:build libjpeg

package augment

import (
	"image"
	"image/draw"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/reslab/reslab/internal/jpeg"
)

// TestLibjpegBuildDecodesWithLibjpegTurbo: in the libjpeg build JPEGs come
// from libjpeg-turbo, as RGB, within half a level of reslab's own decoder
// at reduced scale and two at full size; the
// files it cannot take (CMYK) still decode, through Go's, and a damaged file
// is Go's decoder's error.
func TestLibjpegBuildDecodesWithLibjpegTurbo(t *testing.T) {
	data := smoothJPEG(t, 200, 120)
	for _, minSide := range []int{0, 30} {
		img, err := decodeRaw(data, DecodeOptions{MinSide: minSide})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := img.(*image.NRGBA)
		if !ok {
			t.Fatalf("MinSide %d: decoded as %T, not libjpeg-turbo's RGB", minSide, img)
		}
		scale := 1
		if minSide > 0 {
			scale = jpeg.ScaleFor(200, 120, minSide)
		}
		ref, err := jpeg.Decode(data, scale)
		if err != nil {
			t.Fatal(err)
		}
		want := image.NewNRGBA(ref.Bounds())
		draw.Draw(want, want.Rect, ref, ref.Bounds().Min, draw.Src)
		if got.Rect != want.Rect {
			t.Fatalf("MinSide %d: %v, Go's decoder %v", minSide, got.Rect, want.Rect)
		}
		var sum float64
		for i := range got.Pix {
			sum += math.Abs(float64(got.Pix[i]) - float64(want.Pix[i]))
		}
		// Full size, libjpeg upsamples the 4:2:0 chroma smoothly where Go
		// repeats it; reduced, both keep it whole.
		limit := 0.5
		if scale == 1 {
			limit = 2
		}
		if mean := sum / float64(len(got.Pix)); mean > limit {
			t.Errorf("MinSide %d: %.2f levels from Go's decoder", minSide, mean)
		}
	}
	cmyk, err := os.ReadFile("../internal/jpeg/testdata/video-001.cmyk.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if img, err := DecodeImage(cmyk, DecodeOptions{MinSide: 20}); err != nil || img.Rect.Dx() < 20 {
		t.Errorf("CMYK: %v", err)
	}
	if _, err := DecodeImage(data[:len(data)/2], DecodeOptions{}); err == nil || !strings.Contains(err.Error(), "decode jpeg") {
		t.Errorf("a truncated JPEG: %v", err)
	}
}
