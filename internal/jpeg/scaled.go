// Package jpeg decodes JPEG images at a reduced scale: 1/2, 1/4 or 1/8 of
// each side, straight from the DCT coefficients, as libjpeg's scaled
// decoding does (scale_denom). A training run shrinks photographs of 500
// pixels and more to 64–224, so most of a full decode is thrown away by the
// resize that follows; decoding each 8×8 block into 4×4, 2×2 or 1×1 pixels
// from its lowest frequencies skips most of the inverse DCT, the colour
// planes' size and the resize's input.
//
// It is Go's image/jpeg (reader.go, scan.go, huffman.go, the inverse of
// dct.go; BSD licence in LICENSE) with the scale added. At scale 1 it
// decodes exactly as image/jpeg. Four-component (CMYK, YCCK) images are
// handed to image/jpeg at full size. The package registers no format: the
// standard decoder stays the one image.Decode uses.
package jpeg

import (
	"bytes"
	"errors"
	"image"
	stdjpeg "image/jpeg"
	"math"
)

// errFourComponents stops the decoder at a CMYK or YCCK frame, which
// Decode hands to image/jpeg.
var errFourComponents = errors.New("jpeg: four components")

// Decode decodes a JPEG image at 1/scale of its width and height, rounded
// up (scale 1, 2, 4 or 8; anything else is an error). Gray images come back
// as *image.Gray, colour ones as *image.YCbCr with the file's chroma
// subsampling (or *image.RGBA for Adobe RGB files), CMYK ones as
// image/jpeg's *image.CMYK at full size.
func Decode(data []byte, scale int) (image.Image, error) {
	switch scale {
	case 1, 2, 4, 8:
	default:
		return nil, errors.New("jpeg: scale must be 1, 2, 4 or 8")
	}
	d := decoder{scale: scale, blockSide: 8 / scale}
	img, err := d.decode(bytes.NewReader(data), false)
	if errors.Is(err, errFourComponents) {
		return stdjpeg.Decode(bytes.NewReader(data))
	}
	return img, err
}

// ScaleFor is the largest scale at which a w×h image still has a shorter
// side of at least minSide pixels (1 when even half would be smaller).
func ScaleFor(w, h, minSide int) int {
	short := min(w, h)
	for _, s := range []int{8, 4, 2} {
		if (short+s-1)/s >= minSide {
			return s
		}
	}
	return 1
}

// zigzag maps a coefficient's natural (row-major) index to its zig-zag
// index, where the quantisation tables keep it: the inverse of unzig.
var zigzag = func() (z [blockSize]int) {
	for zig, nat := range unzig {
		z[nat] = zig
	}
	return z
}()

// boxBasis[n][i*8+u] is frequency u's weight in output sample i of n: the
// 8-point inverse DCT's basis, c(u)/2·cos((2x+1)uπ/16) with c(0) = 1/√2,
// averaged over the 8/n samples x that output i covers. Output i of a
// reduced block is then exactly the mean of those full-size samples; n = 8
// is the basis itself (4:2:2 chroma keeps its full width at 1/2).
var boxBasis = func() (t [9][]float32) {
	for _, n := range []int{1, 2, 4, 8} {
		f := 8 / n
		t[n] = make([]float32, n*8)
		for i := range n {
			for u := range 8 {
				c := 1.0
				if u == 0 {
					c = 1 / math.Sqrt2
				}
				var sum float64
				for x := i * f; x < (i+1)*f; x++ {
					sum += c / 2 * math.Cos(float64((2*x+1)*u)*math.Pi/16)
				}
				t[n][i*8+u] = float32(sum / float64(f))
			}
		}
	}
	return t
}()

// scaledIDCT dequantises the block b (natural order; qt in zig-zag order)
// and writes its nx×ny reduced pixels (each 1, 2 or 4, or one of them 8)
// to dst, rows stride apart: each the mean of the full decode's
// (8/nx)×(8/ny) pixels it covers (the box filter that libjpeg's scaled
// decoding approximates), level-shifted and clipped. It multiplies by the
// box-averaged bases directly, skipping the rows of coefficients that are
// zero (most of them, past the lowest frequencies); a block's mean is its
// DC coefficient alone.
func scaledIDCT(b *block, qt *block, nx, ny int, dst []byte, stride int) {
	if nx == 1 && ny == 1 {
		dst[0] = clip(float32(b[0]*qt[0])/8 + 128)
		return
	}
	ax, ay := boxBasis[nx], boxBasis[ny]
	// rows[v*8+j] = Σ_u F[v][u]·ax[j][u], for the rows v that hold a
	// non-zero coefficient.
	var rows [64]float32
	var used [8]bool
	for v := range 8 {
		r := b[v*8 : v*8+8]
		if r[0]|r[1]|r[2]|r[3]|r[4]|r[5]|r[6]|r[7] == 0 {
			continue
		}
		used[v] = true
		var f [8]float32
		for u, c := range r {
			if c != 0 {
				f[u] = float32(c * qt[zigzag[v*8+u]])
			}
		}
		for j := range nx {
			a := ax[j*8 : j*8+8]
			rows[v*8+j] = f[0]*a[0] + f[1]*a[1] + f[2]*a[2] + f[3]*a[3] + f[4]*a[4] + f[5]*a[5] + f[6]*a[6] + f[7]*a[7]
		}
	}
	for i := range ny {
		a := ay[i*8 : i*8+8]
		out := dst[i*stride : i*stride+nx]
		for j := range nx {
			var s float32
			for v, ok := range used {
				if ok {
					s += a[v] * rows[v*8+j]
				}
			}
			out[j] = clip(s + 128)
		}
	}
}

// clip rounds to the nearest byte value, clamped to [0, 255].
func clip(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
