//go:build !libjpeg

package augment

import "image"

// jpegDecoder names the JPEG decoder of this build in the disk cache's
// keys: reslab's pure-Go one (internal/jpeg, image/jpeg at full size).
const jpegDecoder = "go"

// nativeJPEG is the libjpeg build's decoder; this build has none.
func nativeJPEG([]byte, int, image.Config) (image.Image, bool) { return nil, false }
