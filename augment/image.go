package augment

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registered for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/reslab/reslab/internal/jpeg"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// DefaultMaxSide is the longest side LoadImage keeps. Larger images are
// scaled down right after decoding so that a folder of camera originals
// cannot blow up memory; 4096 px is far above any training size.
const DefaultMaxSide = 4096

// DefaultMaxPixels is the largest image (width × height) that is decoded at
// all. Go's decoders hold the whole image, so a 20000×20000 file would need
// gigabytes before it could be scaled down; such files are refused.
const DefaultMaxPixels = 100_000_000

// DefaultMaxDecodedBytes bounds the memory one image may take decoded,
// before it is scaled down: the pixel limit alone lets a small 16-bit PNG
// of 100 megapixels cost 800 MB.
const DefaultMaxDecodedBytes = 512 << 20

// ErrImageTooLarge is returned (wrapped) for files whose header announces
// more pixels than DecodeOptions.MaxPixels, or more decoded bytes than
// DecodeOptions.MaxBytes.
var ErrImageTooLarge = errors.New("image too large")

// DecodeOptions bound the memory one decoded image may take.
type DecodeOptions struct {
	// MaxSide: if the longest side exceeds it, the image is scaled down so
	// the longest side equals MaxSide. 0 means DefaultMaxSide; negative
	// disables scaling. Callers that know the size they need set it to a
	// few times that size (LoadForSize uses 4×).
	MaxSide int
	// MaxPixels refuses images larger than this before decoding. 0 means
	// DefaultMaxPixels; negative disables the check.
	MaxPixels int
	// MaxBytes refuses images whose decoded form would take more bytes
	// than this. 0 means DefaultMaxDecodedBytes; negative disables it.
	MaxBytes int64
	// MinSide, when positive, lets a JPEG decode at 1/2, 1/4 or 1/8 of its
	// size straight from its DCT blocks (internal/jpeg), at the smallest
	// scale whose shorter side is still at least MinSide: the caller
	// resizes to that side afterwards, and a 500-pixel photograph decoded
	// for a 128-pixel input throws away most of a full decode. Each pixel
	// of a reduced decode is the mean of the full decode's pixels it
	// covers. 0 decodes at full size.
	MinSide int
	// JPEG is the decoder of JPEG files: libjpeg-turbo where the machine
	// has it unless this says JPEGGo.
	JPEG JPEGDecoder
}

// decodedBytes is what the decoder will hold for an image of cfg: its
// pixels at the colour model's depth (YCbCr JPEGs at most 3 bytes).
func decodedBytes(cfg image.Config) int64 {
	per := int64(4)
	switch cfg.ColorModel {
	case color.GrayModel, color.AlphaModel:
		per = 1
	case color.Gray16Model, color.Alpha16Model:
		per = 2
	case color.RGBA64Model, color.NRGBA64Model:
		per = 8
	case color.YCbCrModel, color.NYCbCrAModel:
		per = 3
	}
	if _, paletted := cfg.ColorModel.(color.Palette); paletted {
		per = 1
	}
	return int64(cfg.Width) * int64(cfg.Height) * per
}

// imageExts are the file extensions a data set folder scan accepts.
var imageExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true,
	".png": true, ".gif": true, ".bmp": true, ".webp": true,
}

// IsImageFile reports whether name has an extension of a format LoadImage
// decodes (JPEG, PNG, GIF, BMP, WebP), case-insensitively.
func IsImageFile(name string) bool {
	return imageExts[strings.ToLower(filepath.Ext(name))]
}

// LoadImage decodes an image file with DecodeOptions' defaults. See
// LoadImageOpts.
func LoadImage(path string) (*image.NRGBA, error) {
	return LoadImageOpts(path, DecodeOptions{})
}

// LoadForSize decodes an image that will be used at size×size, capping its
// longest side at 4×size: enough for any crop or zoom, and bounded.
func LoadForSize(path string, size int) (*image.NRGBA, error) {
	return LoadImageOpts(path, DecodeOptions{MaxSide: 4 * size})
}

// LoadImageOpts decodes a JPEG, PNG, GIF (first frame), BMP or WebP file
// into an opaque *image.NRGBA:
//
//   - the EXIF orientation of JPEGs is applied, so phone photos stand up;
//   - grey, paletted, CMYK, 16-bit and YCbCr images become 8-bit RGB;
//   - transparency is composited onto white, because transparent regions
//     of product shots and icons are meant to be seen on a light page, and
//     a network should not learn from colour hidden under alpha 0;
//   - images whose longest side exceeds opts.MaxSide are scaled down.
//
// Errors name the file.
func LoadImageOpts(path string, opts DecodeOptions) (*image.NRGBA, error) {
	img, err := loadRaw(path, opts)
	if err != nil {
		return nil, err
	}
	return toOpaqueNRGBA(img), nil
}

// loadRaw is LoadImageOpts without the final conversion to NRGBA, so that
// the loader and PreprocessFile can resize JPEG planes directly.
func loadRaw(path string, opts DecodeOptions) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	img, err := decodeRaw(data, opts)
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", path, err)
	}
	return img, nil
}

// DecodeImage is LoadImageOpts for bytes already in memory.
func DecodeImage(data []byte, opts DecodeOptions) (*image.NRGBA, error) {
	img, err := decodeRaw(data, opts)
	if err != nil {
		return nil, err
	}
	return toOpaqueNRGBA(img), nil
}

// header reads an image's header (a few hundred bytes) and checks it
// against opts' limits before anything is decoded: the one check that
// decoding, the loader's memory gate and CheckHeaders share.
func header(r io.Reader, opts DecodeOptions) (image.Config, string, error) {
	maxPix := opts.MaxPixels
	if maxPix == 0 {
		maxPix = DefaultMaxPixels
	}
	maxBytes := opts.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxDecodedBytes
	}
	cfg, format, err := image.DecodeConfig(r)
	switch {
	case err != nil:
		return cfg, "", fmt.Errorf("not a decodable image (JPEG, PNG, GIF, BMP, WebP): %w", err)
	case cfg.Width <= 0 || cfg.Height <= 0:
		return cfg, format, fmt.Errorf("%s image has empty size %dx%d", format, cfg.Width, cfg.Height)
	case maxPix > 0 && int64(cfg.Width)*int64(cfg.Height) > int64(maxPix):
		return cfg, format, fmt.Errorf("%w: %dx%d %s is over the %d pixel limit", ErrImageTooLarge, cfg.Width, cfg.Height, format, maxPix)
	case maxBytes > 0 && decodedBytes(cfg) > maxBytes:
		return cfg, format, fmt.Errorf("%w: %dx%d %s would take %d MB decoded, over the %d MB limit; scale it down", ErrImageTooLarge, cfg.Width, cfg.Height, format, decodedBytes(cfg)>>20, maxBytes>>20)
	}
	return cfg, format, nil
}

// decodeRaw decodes and orients an image and caps its size. The result is
// the decoder's own type (often *image.YCbCr) unless it had to be scaled.
func decodeRaw(data []byte, opts DecodeOptions) (image.Image, error) {
	cfg, format, err := header(bytes.NewReader(data), opts)
	if err != nil {
		return nil, err
	}
	return decodeChecked(data, format, cfg, opts)
}

// decodeChecked decodes an image whose header (cfg) passed header.
func decodeChecked(data []byte, format string, cfg image.Config, opts DecodeOptions) (img image.Image, err error) {
	scale := 1
	if opts.MinSide > 0 {
		scale = jpeg.ScaleFor(cfg.Width, cfg.Height, opts.MinSide)
	}
	var native bool
	if format == "jpeg" && opts.JPEG.native() {
		img, native = nativeJPEG(data, scale, cfg)
	}
	if native {
		img = orient(img, jpeg.Orientation(data))
	} else if format == "jpeg" {
		// reslab's decoder at every scale: at 1 it gives image/jpeg's
		// pixels, faster. Only JPEGs carry EXIF orientation in practice; it
		// is applied as imaging.Decode's AutoOrientation would.
		if img, err = jpeg.Decode(data, scale); err != nil {
			return nil, fmt.Errorf("decode %s: %w", format, err)
		}
		img = orient(img, jpeg.Orientation(data))
	} else {
		img, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", format, err)
	}
	maxSide := opts.MaxSide
	if maxSide == 0 {
		maxSide = DefaultMaxSide
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); maxSide > 0 && max(w, h) > maxSide {
		if w >= h {
			img = resizeTo(img, maxSide, max(1, int(math.Round(float64(h)*float64(maxSide)/float64(w)))))
		} else {
			img = resizeTo(img, max(1, int(math.Round(float64(w)*float64(maxSide)/float64(h)))), maxSide)
		}
	}
	return img, nil
}

// orient applies an EXIF orientation (1–8; 0 for none) as imaging.Decode's
// AutoOrientation does.
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// toOpaqueNRGBA converts any image to an *image.NRGBA with origin (0,0)
// and alpha 255 everywhere, compositing translucent pixels onto white.
// It reuses src's memory when src is already such an image.
func toOpaqueNRGBA(src image.Image) *image.NRGBA {
	var img *image.NRGBA
	switch s := src.(type) {
	case *image.NRGBA:
		if s.Rect.Min == (image.Point{}) && s.Stride == 4*s.Rect.Dx() && opaque(s.Pix) {
			// Reused as it is: never written to, since the caller may
			// still hold it.
			return s
		}
		img = imaging.Clone(s)
	case *image.YCbCr:
		// Opaque by construction: nothing to composite.
		return ycbcrToNRGBA(s)
	case *image.Gray:
		return imaging.Clone(s)
	default:
		// imaging.Clone converts RGBA, 16-bit, paletted, CMYK … to
		// non-premultiplied NRGBA.
		img = imaging.Clone(src)
	}
	pix := img.Pix
	for i := 3; i < len(pix); i += 4 {
		a := pix[i]
		if a == 255 {
			continue
		}
		// out = c*a + 255*(1-a), in 8-bit fixed point with rounding.
		ia := 255 - uint32(a)
		for c := i - 3; c < i; c++ {
			pix[c] = uint8((uint32(pix[c])*uint32(a) + 255*ia + 127) / 255)
		}
		pix[i] = 255
	}
	return img
}

// opaque reports whether every alpha byte of NRGBA pixels is 255.
func opaque(pix []uint8) bool {
	for i := 3; i < len(pix); i += 4 {
		if pix[i] != 255 {
			return false
		}
	}
	return true
}
