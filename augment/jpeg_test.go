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

// needLibjpegTurbo skips a test where the machine has no libjpeg-turbo to
// load, and says so.
func needLibjpegTurbo(t *testing.T) {
	t.Helper()
	if err := turbojpeg.Available(); err != nil {
		t.Skipf("skipped: %v", err)
	}
}

// TestJPEGFastestDecodesWithLibjpegTurbo: where libjpeg-turbo loads, JPEGs
// come from it (whose agreement with reslab's own decoder internal/turbojpeg
// tests) at the scale the Go path would use; the files it cannot take
// (CMYK) still decode, through Go's, and a damaged file is Go's decoder's
// error.
func TestJPEGFastestDecodesWithLibjpegTurbo(t *testing.T) {
	needLibjpegTurbo(t)
	if got := JPEGFastest.Name(); got != "libjpeg-turbo" {
		t.Errorf("JPEGFastest is %q with libjpeg-turbo loaded", got)
	}
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

// TestJPEGGoNeverLoadsLibjpegTurbo: JPEGGo gives reslab's own decoder's
// pixels (its YCbCr planes) whatever the machine has, and its disk cache
// entries are not the other decoder's.
func TestJPEGGoNeverLoadsLibjpegTurbo(t *testing.T) {
	data := smoothJPEG(t, 200, 120)
	img, err := decodeRaw(data, DecodeOptions{MinSide: 30, JPEG: JPEGGo})
	if err != nil {
		t.Fatal(err)
	}
	want, err := jpeg.Decode(data, jpeg.ScaleFor(200, 120, 30))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := img.(*image.YCbCr)
	if w := want.(*image.YCbCr); !ok || got.Rect != w.Rect || !bytes.Equal(got.Y, w.Y) || !bytes.Equal(got.Cb, w.Cb) {
		t.Fatalf("JPEGGo decoded %T, not reslab's decoder's planes", img)
	}
	if JPEGGo.Name() != "go" {
		t.Errorf("JPEGGo is named %q", JPEGGo.Name())
	}
	needLibjpegTurbo(t)
	path := writeTemp(t, data)
	c := &DiskCache{Dir: t.TempDir()}
	k1, ok1 := c.key(path, 128, true, 2, JPEGGo)
	k2, ok2 := c.key(path, 128, true, 2, JPEGFastest)
	if !ok1 || !ok2 || k1 == k2 {
		t.Errorf("the two decoders' entries share a key: %s, %s", k1, k2)
	}
}

func TestParseJPEGDecoder(t *testing.T) {
	for s, want := range map[string]JPEGDecoder{"": JPEGFastest, "fastest": JPEGFastest, "go": JPEGGo} {
		if got, err := ParseJPEGDecoder(s); err != nil || got != want {
			t.Errorf("%q: %v, %v", s, got, err)
		}
	}
	if _, err := ParseJPEGDecoder("libpng"); err == nil || !strings.Contains(err.Error(), "want go") {
		t.Errorf("an unknown decoder: %v", err)
	}
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}
