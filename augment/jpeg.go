package augment

import (
	"fmt"
	"image"

	"github.com/reslab/reslab/internal/turbojpeg"
)

// JPEGDecoder says which decoder turns JPEG files into pixels. The two
// round differently (within half a level at reduced scales, two at full
// size), so the disk cache keeps their entries apart and a run records the
// one it used.
type JPEGDecoder int

const (
	// JPEGFastest decodes with libjpeg-turbo where the machine has it
	// (internal/turbojpeg loads it at run time; two to three times faster
	// per image, BenchmarkDecodeFlowers) and with reslab's pure-Go decoder
	// elsewhere.
	JPEGFastest JPEGDecoder = iota
	// JPEGGo always decodes with reslab's pure-Go decoder (internal/jpeg,
	// image/jpeg's pixels at full size): the same pixels on every machine.
	JPEGGo
)

// ParseJPEGDecoder reads a decoder's name: "go", or "fastest" (or
// nothing) for JPEGFastest.
func ParseJPEGDecoder(s string) (JPEGDecoder, error) {
	switch s {
	case "", "fastest":
		return JPEGFastest, nil
	case "go":
		return JPEGGo, nil
	}
	return 0, fmt.Errorf("JPEG decoder %q: want go (reslab's own) or fastest (libjpeg-turbo where the machine has it)", s)
}

// Name is the decoder d decodes with on this machine: "libjpeg-turbo" or
// "go". It names the disk cache's entries and a run's record.
func (d JPEGDecoder) Name() string {
	if d.native() {
		return "libjpeg-turbo"
	}
	return "go"
}

// native says whether d decodes with libjpeg-turbo here.
func (d JPEGDecoder) native() bool { return d == JPEGFastest && turbojpeg.Available() == nil }

// nativeJPEG decodes with libjpeg-turbo, at 1/scale, a file whose header
// Go's decoder read as cfg (already checked against the pixel limit; a
// frame libjpeg reads as larger is refused); ok is false where it cannot
// (CMYK, 4:1:0, a damaged file), and the pure-Go decoder then tries, so
// that its error is the one reported.
func nativeJPEG(data []byte, scale int, cfg image.Config) (img image.Image, ok bool) {
	nrgba, err := turbojpeg.Decode(data, scale, cfg.Width*cfg.Height)
	if err != nil {
		return nil, false
	}
	return nrgba, true
}
