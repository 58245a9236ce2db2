package augment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"golang.org/x/image/bmp"
)

func TestLoadImageFormats(t *testing.T) {
	dir := t.TempDir()
	c := color.NRGBA{200, 40, 90, 255}
	src := solid(16, 8, c)

	pngPath := filepath.Join(dir, "a.png")
	writePNG(t, pngPath, src)

	var buf bytes.Buffer
	if err := bmp.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	bmpPath := filepath.Join(dir, "a.bmp")
	writeFile(t, bmpPath, buf.Bytes())

	buf.Reset()
	pal := image.NewPaletted(src.Rect, palette.Plan9)
	for y := range 8 {
		for x := range 16 {
			pal.Set(x, y, c)
		}
	}
	if err := gif.Encode(&buf, pal, nil); err != nil {
		t.Fatal(err)
	}
	gifPath := filepath.Join(dir, "a.gif")
	writeFile(t, gifPath, buf.Bytes())

	buf.Reset()
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	jpgPath := filepath.Join(dir, "a.JPG")
	writeFile(t, jpgPath, buf.Bytes())

	webpPath := filepath.Join(dir, "a.webp")
	writeFile(t, webpPath, solidWebP(16, 8, c))

	gray := image.NewGray(image.Rect(0, 0, 16, 8))
	for i := range gray.Pix {
		gray.Pix[i] = 77
	}
	grayPath := filepath.Join(dir, "g.png")
	writePNG(t, grayPath, gray)

	for _, tc := range []struct {
		path string
		want color.NRGBA
		tol  int
	}{
		{pngPath, c, 0}, {bmpPath, c, 0}, {gifPath, color.NRGBAModel.Convert(pal.At(0, 0)).(color.NRGBA), 0},
		{jpgPath, c, 6}, {webpPath, c, 0}, {grayPath, color.NRGBA{77, 77, 77, 255}, 0},
	} {
		img, err := LoadImage(tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if img.Rect != image.Rect(0, 0, 16, 8) {
			t.Errorf("%s: bounds %v", tc.path, img.Rect)
			continue
		}
		got := img.NRGBAAt(5, 3)
		if !closeColor(got, tc.want, tc.tol) {
			t.Errorf("%s: pixel %v, want %v", tc.path, got, tc.want)
		}
	}
	if !IsImageFile("x.JPEG") || !IsImageFile("y.webp") || IsImageFile("notes.txt") || IsImageFile("Thumbs.db") {
		t.Error("IsImageFile misjudges extensions")
	}
}

func closeColor(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && -v <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func TestAlphaCompositedOnWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})     // fully transparent black
	img.SetNRGBA(1, 0, color.NRGBA{255, 0, 0, 128}) // half red
	path := filepath.Join(t.TempDir(), "alpha.png")
	writePNG(t, path, img)
	got, err := LoadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	if p := got.NRGBAAt(0, 0); p != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("transparent pixel became %v, want white", p)
	}
	if p := got.NRGBAAt(1, 0); !closeColor(p, color.NRGBA{255, 127, 127, 255}, 1) {
		t.Errorf("half red became %v, want pink", p)
	}
	// The caller's image is never modified by Preprocess.
	if _, err := Preprocess(img, 1, NormNone); err != nil {
		t.Fatal(err)
	}
	if img.NRGBAAt(1, 0).A != 128 {
		t.Error("Preprocess modified its input")
	}
}

// exifJPEG returns a JPEG of img carrying an EXIF orientation tag.
func exifJPEG(t *testing.T, img image.Image, orientation uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8)) // IFD offset
	binary.Write(&tiff, binary.BigEndian, uint16(1)) // one entry
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112))
	binary.Write(&tiff, binary.BigEndian, uint16(3)) // SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, orientation)
	binary.Write(&tiff, binary.BigEndian, uint16(0))
	binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(buf.Bytes()[:2]) // SOI
	out.Write([]byte{0xff, 0xe1})
	binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(buf.Bytes()[2:])
	return out.Bytes()
}

func TestLoadImageAppliesEXIFOrientation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phone.jpg")
	writeFile(t, path, phoneJPEG(t, 32, 16))
	img, err := LoadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	checkUpright(t, img, 16, 32)
}

// A full-size JPEG decodes by reslab's own decoder, in every EXIF
// orientation, to the pixels of imaging.Decode with AutoOrientation, which
// the loader used before its own decoder took full-size decodes too.
func TestFullSizeJPEGDecodesAsImaging(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 37, 21))
	for i := range src.Pix {
		src.Pix[i] = uint8(i*7 + i/37)
	}
	for o := uint16(1); o <= 8; o++ {
		data := exifJPEG(t, src, o)
		got, err := decodeRaw(data, DecodeOptions{JPEG: JPEGGo})
		if err != nil {
			t.Fatal(err)
		}
		want, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
		if err != nil {
			t.Fatal(err)
		}
		if g, w := imaging.Clone(got), imaging.Clone(want); g.Rect != w.Rect || !bytes.Equal(g.Pix, w.Pix) {
			t.Errorf("orientation %d: %v differs from imaging's %v", o, g.Rect, w.Rect)
		}
	}
}

// phoneJPEG is a w×h blue JPEG with a red (w/4)² block top-left and EXIF
// orientation 6 ("rotate 90° clockwise to display"): shown h×w with the
// block top-right.
func phoneJPEG(t *testing.T, w, h int) []byte {
	src := solid(w, h, color.NRGBA{0, 0, 255, 255})
	for y := range w / 4 {
		for x := range w / 4 {
			src.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
		}
	}
	return exifJPEG(t, src, 6)
}

// checkUpright checks phoneJPEG's image as displayed, w×h.
func checkUpright(t *testing.T, img *image.NRGBA, w, h int) {
	t.Helper()
	if img.Rect.Dx() != w || img.Rect.Dy() != h {
		t.Fatalf("size %v, want %dx%d", img.Rect.Size(), w, h)
	}
	if p := img.NRGBAAt(w-w/4+w/8, w/8); p.R < 200 || p.B > 60 {
		t.Errorf("top-right is %v, want red", p)
	}
	if p := img.NRGBAAt(w/8, w/8); p.B < 200 {
		t.Errorf("top-left is %v, want blue", p)
	}
}

func TestLoadImageScalesHugeImagesDown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.png")
	writePNG(t, path, solid(200, 100, color.NRGBA{1, 2, 3, 255}))
	img, err := LoadImageOpts(path, DecodeOptions{MaxSide: 50})
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 50 || img.Rect.Dy() != 25 {
		t.Errorf("size %v, want 50x25", img.Rect.Size())
	}
	img, err = LoadForSize(path, 10) // cap 40
	if err != nil || img.Rect.Dx() != 40 {
		t.Errorf("LoadForSize: %v %v", img.Rect.Size(), err)
	}
	_, err = LoadImageOpts(path, DecodeOptions{MaxPixels: 1000})
	if !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), path) {
		t.Errorf("pixel limit: got %v", err)
	}
}

func TestLoadImageErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.jpg")
	writeFile(t, bad, []byte("this is not a jpeg"))
	_, err := LoadImage(bad)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt file: %v", err)
	}
	// A truncated JPEG: valid header, missing data.
	var buf bytes.Buffer
	jpeg.Encode(&buf, coords(32, 32), nil)
	trunc := filepath.Join(dir, "trunc.jpg")
	writeFile(t, trunc, buf.Bytes()[:buf.Len()/3])
	if _, err := LoadImage(trunc); err == nil || !strings.Contains(err.Error(), trunc) {
		t.Errorf("truncated file: %v", err)
	}
	missing := filepath.Join(dir, "nope.png")
	_, err = LoadImage(missing)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
}

// TestDecodedBytesAreBounded: a 16-bit image within the pixel limit but
// over the decoded-bytes limit is refused from its header alone.
func TestDecodedBytesAreBounded(t *testing.T) {
	img := image.NewNRGBA64(image.Rect(0, 0, 300, 200))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	_, err := DecodeImage(buf.Bytes(), DecodeOptions{MaxBytes: 300 * 200 * 8 / 2})
	if !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), "decoded") {
		t.Fatalf("16-bit image over the byte limit: %v", err)
	}
	if _, err := DecodeImage(buf.Bytes(), DecodeOptions{MaxBytes: 300 * 200 * 8}); err != nil {
		t.Fatalf("16-bit image at the byte limit: %v", err)
	}
}

// TestDecodeGateBoundsTheWorkers: the gate holds back a decode that would
// take the workers past their allowance until another releases.
func TestDecodeGateBoundsTheWorkers(t *testing.T) {
	g := newDecodeGate(100)
	a := g.acquire(80)
	got := make(chan int64)
	go func() { got <- g.acquire(50) }()
	select {
	case <-got:
		t.Fatal("a second decode went past the allowance")
	case <-time.After(50 * time.Millisecond):
	}
	g.release(a)
	select {
	case n := <-got:
		g.release(n)
	case <-time.After(time.Second):
		t.Fatal("the waiting decode never started")
	}
	// One image above the whole allowance still goes through, alone.
	g.release(g.acquire(500))
}
