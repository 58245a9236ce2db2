package augment

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// shorterSideSize returns the size of a w×h image resized so that its
// shorter side is s, computed as torchvision does: the longer side is
// int(s*long/short), truncated.
func shorterSideSize(w, h, s int) (int, int) {
	if w <= h {
		return s, int(int64(s) * int64(h) / int64(w))
	}
	return int(int64(s) * int64(w) / int64(h)), s
}

// ResizeShorter resizes img so its shorter side is s (torchvision
// Resize(s)) and returns it as opaque NRGBA. An opaque NRGBA image whose
// shorter side already is s is returned as it is, not copied. The filter
// is a triangle widened when shrinking, like PIL's antialiased bilinear
// that torchvision uses.
func ResizeShorter(img image.Image, s int) *image.NRGBA {
	b := img.Bounds()
	nw, nh := shorterSideSize(b.Dx(), b.Dy(), s)
	return resizeTo(img, nw, nh)
}

// centerCropOrigin returns the top-left corner of the centred size×size
// window of a w×h image, rounding half to even like torchvision's
// CenterCrop (Python's round).
func centerCropOrigin(w, h, size int) (int, int) {
	return int(math.RoundToEven(float64(w-size) / 2)), int(math.RoundToEven(float64(h-size) / 2))
}

// ErrBadSize is wrapped when a target size is not positive.
var ErrBadSize = errors.New("size must be positive")

// Preprocess prepares an image for prediction: resize the shorter side to
// size, centre-crop size×size (torchvision Resize(size)+CenterCrop(size);
// an image already size×size is used as it is), normalise, and return CHW
// float32 (3*size*size values, channel order per norm). Validation batches
// from a Loader are computed the same way, value for value.
func Preprocess(img image.Image, size int, norm Normalization) ([]float32, error) {
	dst := make([]float32, 3*size*size)
	if err := PreprocessInto(dst, img, size, norm); err != nil {
		return nil, err
	}
	return dst, nil
}

// PreprocessInto is Preprocess writing into dst, which must hold
// 3*size*size values.
func PreprocessInto(dst []float32, img image.Image, size int, norm Normalization) error {
	if size <= 0 {
		return fmt.Errorf("preprocess: %w, got %d", ErrBadSize, size)
	}
	if !norm.Valid() {
		return fmt.Errorf("preprocess: invalid normalisation %d", int(norm))
	}
	if len(dst) < 3*size*size {
		return fmt.Errorf("preprocess: destination holds %d values, need %d", len(dst), 3*size*size)
	}
	if img == nil || img.Bounds().Empty() {
		return errors.New("preprocess: empty image")
	}
	src := ResizeShorter(img, size)
	x0, y0 := centerCropOrigin(src.Rect.Dx(), src.Rect.Dy(), size)
	cropInto(dst, size, src, x0, y0, norm.pixelMap())
	return nil
}

// PreprocessFile loads an image file (bounded to 4×size) and preprocesses
// it; errors name the file. It decodes exactly as a validation Loader
// with the same JPEG decoder does, so its values equal the validation
// batches' for the same file.
func PreprocessFile(path string, size int, norm Normalization, jpeg JPEGDecoder) ([]float32, error) {
	img, err := loadRaw(path, DecodeOptions{MaxSide: 4 * size, MinSide: size, JPEG: jpeg})
	if err != nil {
		return nil, err
	}
	out, err := Preprocess(img, size, norm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// ApplyInto writes img seen through t, size×size, normalised, into dst
// (3*size*size values, CHW). The identity transform on an image whose
// shorter side is size is an exact centre crop, identical to Preprocess;
// anything else is one bilinear warp whose identity view is the central
// square of img scaled to size.
func ApplyInto(dst []float32, img *image.NRGBA, size int, t Transform, norm Normalization) {
	applyInto(dst, img, size, t, norm.pixelMap())
}

func applyInto(dst []float32, img *image.NRGBA, size int, t Transform, pm pixelMap) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if !t.geometric() && min(w, h) == size {
		x0, y0 := centerCropOrigin(w, h, size)
		if j := t.jitter(); j.on {
			cropInto(dst, size, img, x0, y0, rawPixelMap())
			applyJitter(dst[:3*size*size], size*size, pm, j)
			return
		}
		cropInto(dst, size, img, x0, y0, pm)
		return
	}
	warpInto(dst, size, img, warpMatrix(w, h, size, t), pm, t.jitter())
}

// Apply is ApplyInto allocating its result.
func Apply(img *image.NRGBA, size int, t Transform, norm Normalization) []float32 {
	dst := make([]float32, 3*size*size)
	ApplyInto(dst, img, size, t, norm)
	return dst
}

// Render draws img seen through t as a size×size RGB picture, exactly the
// pixels the network gets before normalisation (rounded to 8 bits).
func Render(img *image.NRGBA, size int, t Transform) *image.NRGBA {
	buf := make([]float32, 3*size*size)
	applyInto(buf, img, size, t, rawPixelMap())
	return planesToNRGBA(buf, size)
}

// planesToNRGBA converts 0..255 CHW planes to an image.
func planesToNRGBA(buf []float32, size int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	plane := size * size
	for i := range plane {
		for c := range 3 {
			v := buf[c*plane+i]
			out.Pix[4*i+c] = uint8(min(max(v+0.5, 0), 255))
		}
		out.Pix[4*i+3] = 255
	}
	return out
}
