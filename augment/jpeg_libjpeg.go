//go:build libjpeg

package augment

import (
	"image"

	"github.com/reslab/reslab/internal/turbojpeg"
)

// jpegDecoder names the JPEG decoder of this build in the disk cache's
// keys: the two round differently, so neither serves the other's entries.
const jpegDecoder = "libjpeg-turbo"

// nativeJPEG decodes with libjpeg-turbo (the libjpeg build), at 1/scale,
// a file whose header Go's decoder read as cfg (already checked against the
// pixel limit; a frame libjpeg reads as larger is refused); ok is false
// where it cannot (CMYK, 4:1:0, a damaged file), and the pure-Go decoder
// then tries, so that its error is the one reported.
func nativeJPEG(data []byte, scale int, cfg image.Config) (img image.Image, ok bool) {
	nrgba, err := turbojpeg.Decode(data, scale, cfg.Width*cfg.Height)
	if err != nil {
		return nil, false
	}
	return nrgba, true
}
