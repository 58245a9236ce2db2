package turbojpeg

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrFourComponents is the answer for CMYK and YCCK files, which the caller
// decodes another way.
var ErrFourComponents = errors.New("turbojpeg: four-component (CMYK or YCCK) JPEG")

// ErrUnavailable is wrapped by Decode's error when libjpeg-turbo could not
// be loaded; Available gives the loader's reason.
var ErrUnavailable = errors.New("turbojpeg: libjpeg-turbo is not loaded")

// The TurboJPEG API's constants (turbojpeg.h of libjpeg-turbo 2.x).
const (
	pixelRGBA       = 7 // TJPF_RGBA: RGB with an opaque alpha byte
	colourCMYK      = 3 // TJCS_CMYK
	colourYCCK      = 4 // TJCS_YCCK
	flagStopOnWarn  = 8192
	flagLimitScans  = 32768
	libraryFileName = "libturbojpeg.so.0"
)

// api holds the library's functions, bound once by load.
type api struct {
	initDecompress   func() uintptr
	destroy          func(h uintptr) int32
	decompressHeader func(h uintptr, src *byte, size uint64, w, ht, subsamp, colourspace *int32) int32
	decompress       func(h uintptr, src *byte, size uint64, dst *byte, w, pitch, ht, format, flags int32) int32
	errorString      func(h uintptr) string
}

var (
	loadOnce sync.Once
	lib      *api
	loadErr  error
)

// load opens libturbojpeg.so.0 and binds the five functions Decode calls,
// once per process: the library is the machine's, not a setting.
func load() (*api, error) {
	loadOnce.Do(func() {
		h, err := purego.Dlopen(libraryFileName, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			loadErr = fmt.Errorf("%w: %v (Debian: apt-get install libturbojpeg0)", ErrUnavailable, err)
			return
		}
		a := &api{}
		for name, fn := range map[string]any{
			"tjInitDecompress":    &a.initDecompress,
			"tjDestroy":           &a.destroy,
			"tjDecompressHeader3": &a.decompressHeader,
			"tjDecompress2":       &a.decompress,
			"tjGetErrorStr2":      &a.errorString,
		} {
			sym, err := purego.Dlsym(h, name)
			if err != nil {
				loadErr = fmt.Errorf("%w: %s has no %s: %v", ErrUnavailable, libraryFileName, name, err)
				return
			}
			purego.RegisterFunc(fn, sym)
		}
		lib = a
	})
	return lib, loadErr
}

// Available is nil when libjpeg-turbo is loaded (loading it on the first
// call), and otherwise the reason it is not, wrapping ErrUnavailable.
func Available() error {
	_, err := load()
	return err
}

// Decode decodes a JPEG at 1/scale of its width and height, rounded up
// (scale 1, 2, 4 or 8), as opaque RGB. Gray files come back as RGB too. A
// file libjpeg-turbo warns about (a truncated scan, extraneous bytes) is an
// error, as it is to Go's decoder; the decode stops at the warning. A
// progressive file of unreasonably many scans (past libjpeg-turbo's own
// limit: a crafted one could make the decode take minutes) is refused. A file whose frame holds
// more than maxPixels pixels at full size is refused before anything is
// allocated for it.
func Decode(data []byte, scale, maxPixels int) (*image.NRGBA, error) {
	switch scale {
	case 1, 2, 4, 8:
	default:
		return nil, errors.New("turbojpeg: scale must be 1, 2, 4 or 8")
	}
	if len(data) == 0 {
		return nil, errors.New("turbojpeg: empty file")
	}
	tj, err := load()
	if err != nil {
		return nil, err
	}
	h := tj.initDecompress()
	if h == 0 {
		return nil, errors.New("turbojpeg: cannot create a decompressor")
	}
	defer tj.destroy(h)
	var w, ht, subsamp, colourspace int32
	if tj.decompressHeader(h, &data[0], uint64(len(data)), &w, &ht, &subsamp, &colourspace) != 0 {
		return nil, decodeError(tj, h)
	}
	if colourspace == colourCMYK || colourspace == colourYCCK {
		return nil, ErrFourComponents
	}
	if w <= 0 || ht <= 0 || int64(w)*int64(ht) > int64(maxPixels) {
		return nil, fmt.Errorf("turbojpeg: %d×%d pixels, more than the %d allowed", int(w), int(ht), maxPixels)
	}
	s := int32(scale)
	dw, dh := (w+s-1)/s, (ht+s-1)/s
	img := image.NewNRGBA(image.Rect(0, 0, int(dw), int(dh)))
	rc := tj.decompress(h, &data[0], uint64(len(data)), &img.Pix[0], dw, int32(img.Stride), dh, pixelRGBA, flagStopOnWarn|flagLimitScans)
	runtime.KeepAlive(data)
	runtime.KeepAlive(img.Pix)
	if rc != 0 {
		return nil, decodeError(tj, h)
	}
	return img, nil
}

func decodeError(tj *api, h uintptr) error {
	return fmt.Errorf("turbojpeg: %s", tj.errorString(h))
}

// The binding passes the API's sizes (C's unsigned long) as uint64: this
// fails to compile where pointers, and so unsigned long on the Unix
// platforms purego serves, are not 64 bits.
var _ [unsafe.Sizeof(uintptr(0)) - 8]struct{}
