package turbojpeg

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reslab/reslab/internal/jpeg"
)

// TestDecodeAgreesWithTheGoDecoder decodes Go's own JPEG test files (every
// chroma subsampling, progressive, restart markers, gray, Adobe RGB) at
// each scale and compares them with reslab's pure-Go decoder: the same
// size, and pixels within a level or two on average (the two round the
// inverse DCT and upsample chroma differently; at reduced scales libjpeg
// filters the block its own way, Go box-averages it).
func TestDecodeAgreesWithTheGoDecoder(t *testing.T) {
	needLibrary(t)
	files, _ := filepath.Glob("../jpeg/testdata/*.jpeg")
	if len(files) < 10 {
		t.Fatalf("%d test files", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, scale := range []int{1, 2, 4, 8} {
			got, err := Decode(data, scale, 1<<24)
			if strings.Contains(f, "cmyk") {
				if !errors.Is(err, ErrFourComponents) {
					t.Errorf("%s: %v, want ErrFourComponents", f, err)
				}
				continue
			}
			if err != nil && strings.Contains(f, ".410.") {
				// TurboJPEG's API has no 4:1:0; reslab decodes those with Go.
				t.Logf("%s: %v", f, err)
				continue
			}
			if err != nil {
				t.Fatalf("%s at 1/%d: %v", f, scale, err)
			}
			ref, err := jpeg.Decode(data, scale)
			if err != nil {
				t.Fatal(err)
			}
			want := image.NewNRGBA(ref.Bounds())
			draw.Draw(want, want.Rect, ref, ref.Bounds().Min, draw.Src)
			if got.Rect != want.Rect {
				t.Fatalf("%s at 1/%d: %v, Go's decoder %v", f, scale, got.Rect, want.Rect)
			}
			var sum float64
			for i := range got.Pix {
				if i%4 == 3 {
					if got.Pix[i] != 255 {
						t.Fatalf("%s: alpha %d", f, got.Pix[i])
					}
					continue
				}
				sum += math.Abs(float64(got.Pix[i]) - float64(want.Pix[i]))
			}
			mean := sum / float64(len(got.Pix)*3/4)
			t.Logf("%s at 1/%d: %.2f levels", filepath.Base(f), scale, mean)
			if limit := agreement(f, scale); mean > limit {
				t.Errorf("%s at 1/%d: %.2f levels from Go's decoder on average", f, scale, mean)
			}
		}
	}
}

// agreement is how far, in mean levels, the two decoders may differ on a
// file: photographs' own subsamplings (4:2:0, 4:4:4, gray) agree within half
// a level at reduced scales and within two at full size, where libjpeg
// upsamples chroma smoothly and Go repeats it; the rarer subsamplings
// (4:1:1, 4:2:2, 4:4:0, mixed) and Adobe RGB at full size differ more, up to
// 7 levels at 1/8, where each library averages the chroma its own way, and
// are only required to be the same picture.
func agreement(file string, scale int) float64 {
	for _, rare := range []string{".411.", ".422.", ".440.", ".221212.", ".rgb."} {
		if strings.Contains(file, rare) {
			return 8
		}
	}
	if scale == 1 {
		return 2
	}
	return 0.5
}

// TestDecodeRefusesDamagedFiles: a truncated scan, which libjpeg-turbo
// only warns about, is an error, as is a file that is not a JPEG.
func TestDecodeRefusesDamagedFiles(t *testing.T) {
	needLibrary(t)
	data, err := os.ReadFile("../jpeg/testdata/video-001.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"truncated":  data[:len(data)*2/3],
		"not a jpeg": []byte("GIF89a and then some more bytes"),
		"empty":      nil,
	} {
		if _, err := Decode(bad, 2, 1<<24); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := Decode(data, 3, 1<<24); err == nil {
		t.Error("scale 3 was accepted")
	}
	if _, err := Decode(data, 1, 150*100); err == nil { // the file is 150×103
		t.Error("a frame over maxPixels was decoded")
	}
}

// BenchmarkDecodeFlowers times libjpeg-turbo and reslab's Go decoder on
// the same flowers10 photographs at full size and at 1/2 (ms per image).
func BenchmarkDecodeFlowers(b *testing.B) {
	if err := Available(); err != nil {
		b.Skipf("skipped: %v", err)
	}
	paths, _ := filepath.Glob("../../../shared/data/flowers10/train/*/*.jpg")
	if len(paths) == 0 {
		b.Skip("no ../shared/data/flowers10")
	}
	files := make([][]byte, min(40, len(paths)))
	for i := range files {
		var err error
		if files[i], err = os.ReadFile(paths[i]); err != nil {
			b.Fatal(err)
		}
	}
	decoders := map[string]func(data []byte, scale int) error{
		"libjpeg-turbo": func(data []byte, scale int) error { _, err := Decode(data, scale, 1<<26); return err },
		"go":            func(data []byte, scale int) error { _, err := jpeg.Decode(data, scale); return err },
	}
	for _, name := range []string{"libjpeg-turbo", "go"} {
		for _, scale := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/scale%d", name, scale), func(b *testing.B) {
				for i := range b.N {
					if err := decoders[name](files[i%len(files)], scale); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/image")
			})
		}
	}
}

// needLibrary skips a test where the machine has no libjpeg-turbo to load,
// and says so.
func needLibrary(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("skipped: %v", err)
	}
}

// TestUnavailableSaysWhy: where the library is missing, Decode's error
// wraps ErrUnavailable with the loader's reason, and Available gives the
// same; where it loads, both are nil.
func TestUnavailableSaysWhy(t *testing.T) {
	data, err := os.ReadFile("../jpeg/testdata/video-001.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	_, derr := Decode(data, 1, 1<<24)
	if aerr := Available(); aerr != nil {
		if !errors.Is(aerr, ErrUnavailable) || !errors.Is(derr, ErrUnavailable) || !strings.Contains(aerr.Error(), "libturbojpeg0") {
			t.Errorf("Available %v, Decode %v", aerr, derr)
		}
		return
	}
	if derr != nil {
		t.Errorf("the library loaded, Decode: %v", derr)
	}
}
