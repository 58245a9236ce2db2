//go:build libjpeg

package augment

import (
	"bytes"
	"image"
	"os"
	"strings"
	"testing"

	"github.com/reslab/reslab/internal/jpeg"
	"github.com/reslab/reslab/internal/turbojpeg"
)

// TestLibjpegBuildDecodesWithLibjpegTurbo: in the libjpeg build JPEGs come
// from libjpeg-turbo (whose agreement with reslab's own decoder
// internal/turbojpeg tests) at the scale the Go path would use; the
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
		want, err := turbojpeg.Decode(data, scale, 200*120)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("MinSide %d: not libjpeg-turbo's decode at 1/%d", minSide, scale)
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
