//go:build libjpeg

package turbojpeg

// #cgo LDFLAGS: -lturbojpeg
// #include <stdlib.h>
// #include <turbojpeg.h>
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// ErrFourComponents is the answer for CMYK and YCCK files, which the caller
// decodes another way.
var ErrFourComponents = errors.New("turbojpeg: four-component (CMYK or YCCK) JPEG")

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
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("turbojpeg: cannot create a decompressor")
	}
	defer C.tjDestroy(h)
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	var w, ht, subsamp, colorspace C.int
	if C.tjDecompressHeader3(h, src, C.ulong(len(data)), &w, &ht, &subsamp, &colorspace) != 0 {
		return nil, decodeError(h)
	}
	if colorspace == C.TJCS_CMYK || colorspace == C.TJCS_YCCK {
		return nil, ErrFourComponents
	}
	if int64(w)*int64(ht) > int64(maxPixels) {
		return nil, fmt.Errorf("turbojpeg: %d×%d pixels, more than the %d allowed", int(w), int(ht), maxPixels)
	}
	dw, dh := (int(w)+scale-1)/scale, (int(ht)+scale-1)/scale
	img := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	dst := (*C.uchar)(unsafe.Pointer(&img.Pix[0]))
	if C.tjDecompress2(h, src, C.ulong(len(data)), dst, C.int(dw), C.int(img.Stride), C.int(dh), C.TJPF_RGBA, C.TJFLAG_STOPONWARNING|C.TJFLAG_LIMITSCANS) != 0 {
		return nil, decodeError(h)
	}
	return img, nil
}

func decodeError(h C.tjhandle) error {
	return fmt.Errorf("turbojpeg: %s", C.GoString(C.tjGetErrorStr2(h)))
}
