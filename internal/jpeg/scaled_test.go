package jpeg

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// testFiles are image/jpeg's own test images (Go's src/image/testdata):
// every chroma subsampling, progressive, restart intervals, separate DC
// scans, gray, Adobe RGB and CMYK.
func testFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.jpeg")
	if err != nil || len(paths) < 10 {
		t.Fatalf("test images: %v (%d found)", err, len(paths))
	}
	files := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = data
	}
	return files
}

func TestScaleOneDecodesAsImageJPEG(t *testing.T) {
	for name, data := range testFiles(t) {
		want, err := stdjpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		got, err := Decode(data, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Bounds() != want.Bounds() {
			t.Fatalf("%s: bounds %v, want %v", name, got.Bounds(), want.Bounds())
		}
		b := want.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if got.At(x, y) != want.At(x, y) {
					t.Fatalf("%s: pixel (%d,%d) %v, want %v", name, x, y, got.At(x, y), want.At(x, y))
				}
			}
		}
	}
}

// planes are an image's sample planes with their visible sizes: Y, Cb,
// Cr of a YCbCr image, the one plane of a gray one, R of an RGBA one.
type plane struct {
	pix           []byte
	stride, w, h  int
	step, channel int    // bytes per pixel and the channel's offset
	sub           [2]int // the plane's subsampling: image pixels per sample
}

// subsampling is the chroma planes' horizontal and vertical subsampling.
func subsampling(r image.YCbCrSubsampleRatio) [2]int {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return [2]int{2, 1}
	case image.YCbCrSubsampleRatio420:
		return [2]int{2, 2}
	case image.YCbCrSubsampleRatio440:
		return [2]int{1, 2}
	case image.YCbCrSubsampleRatio411:
		return [2]int{4, 1}
	case image.YCbCrSubsampleRatio410:
		return [2]int{4, 2}
	}
	return [2]int{1, 1}
}

func planesOf(t *testing.T, img image.Image) []plane {
	t.Helper()
	switch m := img.(type) {
	case *image.YCbCr:
		b := m.Bounds()
		cw := m.COffset(b.Max.X-1, 0) - m.COffset(0, 0) + 1
		ch := (m.COffset(0, b.Max.Y-1)-m.COffset(0, 0))/m.CStride + 1
		sub := subsampling(m.SubsampleRatio)
		return []plane{{m.Y, m.YStride, b.Dx(), b.Dy(), 1, 0, [2]int{1, 1}}, {m.Cb, m.CStride, cw, ch, 1, 0, sub}, {m.Cr, m.CStride, cw, ch, 1, 0, sub}}
	case *image.Gray:
		return []plane{{m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), 1, 0, [2]int{1, 1}}}
	case *image.RGBA:
		// An Adobe RGB file, converted after decoding with G and B
		// upsampled to R's resolution by repetition: only R (the first
		// component, never subsampled) is the box average of its plane.
		return []plane{{m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), 4, 0, [2]int{1, 1}}}
	}
	t.Fatalf("unexpected image type %T", img)
	return nil
}

func (p plane) at(x, y int) float64 { return float64(p.pix[y*p.stride+x*p.step+p.channel]) }

// TestScaledDecodeIsTheDownscaledImage checks the design: every plane of a
// reduced decode is the full decode's plane averaged over boxes of the
// scale (less the subsampling that chroma gives up to stay at the luma's
// resolution) (the box filter that libjpeg's scaled decoding approximates), up to
// the rounding of the average and the clipping of single pixels, which the
// full decode does before averaging (ringing next to saturated areas at
// quality 50 makes a few boxes differ by up to 14). A transform with a
// wrong scale, offset or level shift misses by several levels on average.
func TestScaledDecodeIsTheDownscaledImage(t *testing.T) {
	for name, data := range testFiles(t) {
		full, err := stdjpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		fb := full.Bounds()
		for _, scale := range []int{2, 4, 8} {
			img, err := Decode(data, scale)
			if err != nil {
				t.Fatalf("%s at 1/%d: %v", name, scale, err)
			}
			if _, cmyk := full.(*image.CMYK); cmyk {
				if img.Bounds() != fb {
					t.Errorf("%s: CMYK at 1/%d came back %v, want the full %v", name, scale, img.Bounds(), fb)
				}
				continue
			}
			want := image.Rect(0, 0, (fb.Dx()+scale-1)/scale, (fb.Dy()+scale-1)/scale)
			if img.Bounds() != want {
				t.Fatalf("%s at 1/%d: bounds %v, want %v", name, scale, img.Bounds(), want)
			}
			fp, sp := planesOf(t, full), planesOf(t, img)
			for c := range fp {
				// A sample of the reduced plane covers scale image pixels
				// a side, of the full one sub: the box is their ratio (1
				// for 4:2:0 chroma at 1/2, which keeps its resolution).
				fx, fy := scale*sp[c].sub[0]/fp[c].sub[0], scale*sp[c].sub[1]/fp[c].sub[1]
				var sum, worst float64
				n := 0
				for y := 0; y < fp[c].h/fy; y++ {
					for x := 0; x < fp[c].w/fx; x++ {
						var box float64
						for dy := range fy {
							for dx := range fx {
								box += fp[c].at(x*fx+dx, y*fy+dy)
							}
						}
						d := math.Abs(sp[c].at(x, y) - box/float64(fx*fy))
						sum += d
						worst = max(worst, d)
						n++
					}
				}
				if mean := sum / float64(n); mean > 0.6 || worst > 20 {
					t.Errorf("%s at 1/%d, plane %d: differs from the box-averaged full decode by %.2f on average, %.1f at worst", name, scale, c, mean, worst)
				}
			}
		}
	}
}

// TestScaledDecodeOfFlatBlocks checks the level shift and DC scaling
// exactly: an image of flat 8×8 blocks keeps only DC coefficients, so every
// scale must reproduce the full decode's value of each block.
func TestScaledDecodeOfFlatBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := image.NewGray(image.Rect(0, 0, 64, 48))
	for by := 0; by < 6; by++ {
		for bx := 0; bx < 8; bx++ {
			v := uint8(rng.IntN(256))
			for y := range 8 {
				for x := range 8 {
					src.SetGray(bx*8+x, by*8+y, color.Gray{Y: v})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := stdjpeg.Encode(&buf, src, &stdjpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	full, err := stdjpeg.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []int{2, 4, 8} {
		img, err := Decode(buf.Bytes(), scale)
		if err != nil {
			t.Fatal(err)
		}
		g := img.(*image.Gray)
		for y := 0; y < 48/scale; y++ {
			for x := 0; x < 64/scale; x++ {
				want := full.(*image.Gray).GrayAt(x*scale, y*scale).Y
				if got := g.GrayAt(x, y).Y; int(got)-int(want) > 1 || int(want)-int(got) > 1 {
					t.Fatalf("1/%d: pixel (%d,%d) %d, want %d (its block's value)", scale, x, y, got, want)
				}
			}
		}
	}
}

func TestDecodeRejectsOtherScales(t *testing.T) {
	data := testFiles(t)["video-001.jpeg"]
	for _, s := range []int{0, 3, 16, -2} {
		if _, err := Decode(data, s); err == nil {
			t.Errorf("scale %d accepted", s)
		}
	}
}

func TestScaleFor(t *testing.T) {
	for _, c := range []struct{ w, h, min, want int }{
		{500, 666, 128, 2}, // 250 ≥ 128, 125 < 128
		{500, 666, 125, 4},
		{500, 666, 64, 4}, // 125 ≥ 64 > 63 (⌈500/8⌉)
		{500, 666, 63, 8},
		{100, 100, 90, 1},
		{100, 100, 50, 2},
	} {
		if got := ScaleFor(c.w, c.h, c.min); got != c.want {
			t.Errorf("ScaleFor(%d, %d, %d) = %d, want %d", c.w, c.h, c.min, got, c.want)
		}
	}
}

// BenchmarkDecode times image/jpeg and each scale on the test images.
func BenchmarkDecode(b *testing.B) {
	data := testFiles(b)["video-001.jpeg"]
	b.Run("image-jpeg", func(b *testing.B) {
		for range b.N {
			if _, err := stdjpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, s := range []int{1, 2, 4, 8} {
		b.Run("scale"+string(rune('0'+s)), func(b *testing.B) {
			for range b.N {
				if _, err := Decode(data, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzDecode: no input makes a reduced decode panic, and what decodes has
// the reduced size of the frame.
func FuzzDecode(f *testing.F) {
	for _, data := range testFiles(f) {
		f.Add(data, uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, s uint8) {
		scale := 1 << (s % 4)
		cfg, err := stdjpeg.DecodeConfig(bytes.NewReader(data))
		// The loader refuses empty frames before decoding (augment's header).
		if err != nil || cfg.Width*cfg.Height > 1<<20 || cfg.Width == 0 || cfg.Height == 0 {
			return
		}
		if cfg.ColorModel != color.CMYKModel {
			agree(t, "the input", data, scale)
		}
		img, err := Decode(data, scale)
		if err != nil {
			return
		}
		if _, cmyk := img.(*image.CMYK); cmyk {
			return
		}
		if b := img.Bounds(); b.Dx() != (cfg.Width+scale-1)/scale || b.Dy() != (cfg.Height+scale-1)/scale {
			t.Fatalf("%dx%d at 1/%d decoded %v", cfg.Width, cfg.Height, scale, b.Size())
		}
	})
}

// BenchmarkDecodeFlowers decodes flowers10's first 40 training images
// (../shared/data, skipped when absent) whole and at each reduced scale.
func BenchmarkDecodeFlowers(b *testing.B) {
	paths, _ := filepath.Glob("../../../shared/data/flowers10/train/*/*.jpg")
	if len(paths) == 0 {
		b.Skip("no ../shared/data/flowers10")
	}
	var files [][]byte
	for _, p := range paths[:min(40, len(paths))] {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
	}
	b.Run("image-jpeg", func(b *testing.B) {
		for i := range b.N {
			if _, err := stdjpeg.Decode(bytes.NewReader(files[i%len(files)])); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/image")
	})
	for _, s := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("scale%d", s), func(b *testing.B) {
			for i := range b.N {
				if _, err := Decode(files[i%len(files)], s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/image")
		})
	}
}

// TestScaledIDCTsAreTheGeneralOne checks the 4×4 and 2×2 inverse DCTs
// against the one for any size on blocks of every last non-zero row,
// sparse and dense, with coefficients large enough to clip.
func TestScaledIDCTsAreTheGeneralOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var qn [blockSize]float32
	for i := range qn {
		qn[i] = float32(1 + rng.IntN(60))
	}
	const stride = 7
	for trial := range 4000 {
		var b block
		rows := rng.IntN(9) // rows 0…rows-1 may hold coefficients
		for i := 0; i < rows*8; i++ {
			if rng.IntN(3) == 0 {
				b[i] = int32(rng.IntN(401) - 200)
			}
		}
		for _, n := range []int{4, 2} {
			got, want := make([]byte, 4*stride), make([]byte, 4*stride)
			for i := range got {
				got[i], want[i] = 0xAA, 0xAA
			}
			bb, bw := b, b
			if n == 4 {
				scaledIDCT4(&bb, &qn, got, stride)
			} else {
				scaledIDCT2(&bb, &qn, got, stride)
			}
			scaledIDCTBases(&bw, &qn, n, n, want, stride)
			if !bytes.Equal(got, want) {
				t.Fatalf("%d×%d, trial %d (%d rows of coefficients): got\n%v, want\n%v", n, n, trial, rows, got, want)
			}
		}
	}
}
