package augment

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// solid returns a w×h opaque image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// coords returns an image whose pixel (x, y) is (x*4, y*4, 100): every
// pixel says where it came from.
func coords(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 4), uint8(y * 4), 100, 255})
		}
	}
	return img
}

func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// bitWriter writes little-endian bit fields, as WebP lossless wants.
type bitWriter struct {
	buf  []byte
	nbit uint
}

func (b *bitWriter) write(v uint32, n uint) {
	for i := uint(0); i < n; i++ {
		if b.nbit%8 == 0 {
			b.buf = append(b.buf, 0)
		}
		if v&(1<<i) != 0 {
			b.buf[len(b.buf)-1] |= 1 << (b.nbit % 8)
		}
		b.nbit++
	}
}

// solidWebP hand-encodes a w×h single-colour lossless WebP: every prefix
// code has one symbol, so the pixels take no bits at all.
func solidWebP(w, h int, c color.NRGBA) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(0, 1) // alpha unused
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // 8-bit symbol
		bw.write(uint32(sym), 8)
	}
	bw.write(1, 1) // distance: simple
	bw.write(0, 1)
	bw.write(0, 1) // 1-bit symbol
	bw.write(0, 1)
	data := bw.buf
	if len(data)%2 == 1 {
		data = append(data, 0)
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(4+8+len(bw.buf)+len(data)-len(bw.buf)))
	out.WriteString("WEBPVP8L")
	binary.Write(&out, binary.LittleEndian, uint32(len(bw.buf)))
	out.Write(data)
	return out.Bytes()
}

// near reports whether a and b differ by at most tol.
func near(a, b, tol float64) bool {
	d := a - b
	return d <= tol && -d <= tol
}
