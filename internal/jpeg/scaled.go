// Package jpeg decodes JPEG images at a reduced scale: 1/2, 1/4 or 1/8 of
// each side, straight from the DCT coefficients, as libjpeg's scaled
// decoding does (scale_denom). A training run shrinks photographs of 500
// pixels and more to 64–224, so most of a full decode is thrown away by the
// resize that follows; decoding each 8×8 block into 4×4, 2×2 or 1×1 pixels
// from its lowest frequencies skips most of the inverse DCT, the colour
// planes' size and the resize's input.
//
// It is Go's image/jpeg (reader.go, scan.go, huffman.go, the inverse of
// dct.go; BSD licence in LICENSE) with the scale added, and with sequential
// scans entropy-decoded from memory with a 64-bit bit buffer and combined
// code-and-value lookups (entropy.go), which give the same coefficients in
// about half the time. At scale 1 it decodes exactly as image/jpeg.
// Four-component (CMYK, YCCK) images are handed to image/jpeg at full size. The package registers no format: the
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
	d := decoder{scale: scale, blockSide: 8 / scale, data: data, src: bytes.NewReader(data)}
	img, err := d.decode(d.src, false)
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

// scaledIDCT dequantises the block b (natural order, as qn) and writes
// its nx×ny reduced pixels (each 1, 2 or 4, or one of them 8) to dst, rows
// stride apart: each the mean of the full decode's (8/nx)×(8/ny) pixels it
// covers (the box filter that libjpeg's scaled decoding approximates),
// level-shifted and clipped. It multiplies by the box-averaged bases
// directly, up to the last row of coefficients that is not zero (most rows
// past the lowest frequencies are), and uses their symmetry: sample n−1−i
// weighs frequency u as sample i does times (−1)^u, so the even and odd
// frequencies' sums give a pair of samples at once. A block's mean is its DC
// coefficient alone.
func scaledIDCT(b *block, qn *[blockSize]float32, nx, ny int, dst []byte, stride int) {
	if nx == 1 && ny == 1 {
		dst[0] = clip(float32(b[0])*qn[0]/8 + 128)
		return
	}
	switch {
	case nx == 4 && ny == 4:
		scaledIDCT4(b, qn, dst, stride)
		return
	case nx == 2 && ny == 2:
		scaledIDCT2(b, qn, dst, stride)
		return
	}
	scaledIDCTBases(b, qn, nx, ny, dst, stride)
}

// scaledIDCTBases is scaledIDCT for any nx×ny, from the bases' table.
func scaledIDCTBases(b *block, qn *[blockSize]float32, nx, ny int, dst []byte, stride int) {
	ax, ay := boxBasis[nx], boxBasis[ny]
	// rows[v*8+j] = Σ_u F[v][u]·ax[j][u] for the rows v up to last.
	var rows [blockSize]float32
	last := -1
	for v := range 8 {
		r := (*[8]int32)(b[v*8 : v*8+8])
		if r[0]|r[1]|r[2]|r[3]|r[4]|r[5]|r[6]|r[7] == 0 {
			continue
		}
		last = v
		q := (*[8]float32)(qn[v*8 : v*8+8])
		f0, f1, f2, f3 := float32(r[0])*q[0], float32(r[1])*q[1], float32(r[2])*q[2], float32(r[3])*q[3]
		f4, f5, f6, f7 := float32(r[4])*q[4], float32(r[5])*q[5], float32(r[6])*q[6], float32(r[7])*q[7]
		out := rows[v*8 : v*8+8]
		for j := range (nx + 1) / 2 {
			a := (*[8]float32)(ax[j*8 : j*8+8])
			even := f0*a[0] + f2*a[2] + f4*a[4] + f6*a[6]
			odd := f1*a[1] + f3*a[3] + f5*a[5] + f7*a[7]
			out[nx-1-j] = even - odd // the same sample when nx is 1
			out[j] = even + odd
		}
	}
	for i := range (ny + 1) / 2 {
		a := (*[8]float32)(ay[i*8 : i*8+8])
		top := dst[i*stride : i*stride+nx]
		bottom := dst[(ny-1-i)*stride : (ny-1-i)*stride+nx]
		for j := range nx {
			var even, odd float32
			for v := 0; v <= last; v += 2 {
				even += a[v] * rows[v*8+j]
			}
			for v := 1; v <= last; v += 2 {
				odd += a[v] * rows[v*8+j]
			}
			bottom[j] = clip(even - odd + 128) // the same row when ny is 1
			top[j] = clip(even + odd + 128)
		}
	}
}

// scaledIDCT4 is scaledIDCT for 4×4 pixels (scale 1/2, the most common
// one): the same products and sums in the same order, so the same bytes,
// with the rows held in fixed arrays and the four columns of the second
// pass summed side by side instead of one after another in loops
// (DecodeFlowers at 1/2, one core: 3.56–3.60 → 2.99–3.17 ms). Its row
// prologue repeats scaledIDCTBases' on purpose: as a helper, too large to
// inline, it made that decode 18 % slower.
func scaledIDCT4(b *block, qn *[blockSize]float32, dst []byte, stride int) {
	a := (*[32]float32)(boxBasis[4])
	a0, a1 := (*[8]float32)(a[0:8]), (*[8]float32)(a[8:16])
	var rows [8][4]float32
	last := -1
	for v := range 8 {
		r := (*[8]int32)(b[v*8 : v*8+8])
		if r[0]|r[1]|r[2]|r[3]|r[4]|r[5]|r[6]|r[7] == 0 {
			continue
		}
		last = v
		q := (*[8]float32)(qn[v*8 : v*8+8])
		f0, f1, f2, f3 := float32(r[0])*q[0], float32(r[1])*q[1], float32(r[2])*q[2], float32(r[3])*q[3]
		f4, f5, f6, f7 := float32(r[4])*q[4], float32(r[5])*q[5], float32(r[6])*q[6], float32(r[7])*q[7]
		e0 := f0*a0[0] + f2*a0[2] + f4*a0[4] + f6*a0[6]
		o0 := f1*a0[1] + f3*a0[3] + f5*a0[5] + f7*a0[7]
		e1 := f0*a1[0] + f2*a1[2] + f4*a1[4] + f6*a1[6]
		o1 := f1*a1[1] + f3*a1[3] + f5*a1[5] + f7*a1[7]
		rows[v] = [4]float32{e0 + o0, e1 + o1, e1 - o1, e0 - o0}
	}
	_ = dst[3*stride+3]
	for i, ai := range [2]*[8]float32{a0, a1} {
		var e0, e1, e2, e3, o0, o1, o2, o3 float32
		for v := 0; v <= last; v += 2 {
			w, r := ai[v], &rows[v]
			e0 += w * r[0]
			e1 += w * r[1]
			e2 += w * r[2]
			e3 += w * r[3]
		}
		for v := 1; v <= last; v += 2 {
			w, r := ai[v], &rows[v]
			o0 += w * r[0]
			o1 += w * r[1]
			o2 += w * r[2]
			o3 += w * r[3]
		}
		top := dst[i*stride : i*stride+4]
		bottom := dst[(3-i)*stride : (3-i)*stride+4]
		bottom[0], bottom[1], bottom[2], bottom[3] = clip(e0-o0+128), clip(e1-o1+128), clip(e2-o2+128), clip(e3-o3+128)
		top[0], top[1], top[2], top[3] = clip(e0+o0+128), clip(e1+o1+128), clip(e2+o2+128), clip(e3+o3+128)
	}
}

// scaledIDCT2 is scaledIDCT for 2×2 pixels (scale 1/4) as scaledIDCT4 is
// for 4×4: the same sums in the same order.
func scaledIDCT2(b *block, qn *[blockSize]float32, dst []byte, stride int) {
	a := (*[8]float32)(boxBasis[2][0:8])
	var rows [8][2]float32
	last := -1
	for v := range 8 {
		r := (*[8]int32)(b[v*8 : v*8+8])
		if r[0]|r[1]|r[2]|r[3]|r[4]|r[5]|r[6]|r[7] == 0 {
			continue
		}
		last = v
		q := (*[8]float32)(qn[v*8 : v*8+8])
		f0, f1, f2, f3 := float32(r[0])*q[0], float32(r[1])*q[1], float32(r[2])*q[2], float32(r[3])*q[3]
		f4, f5, f6, f7 := float32(r[4])*q[4], float32(r[5])*q[5], float32(r[6])*q[6], float32(r[7])*q[7]
		e := f0*a[0] + f2*a[2] + f4*a[4] + f6*a[6]
		o := f1*a[1] + f3*a[3] + f5*a[5] + f7*a[7]
		rows[v] = [2]float32{e + o, e - o}
	}
	_ = dst[stride+1]
	var e0, e1, o0, o1 float32
	for v := 0; v <= last; v += 2 {
		w, r := a[v], &rows[v]
		e0 += w * r[0]
		e1 += w * r[1]
	}
	for v := 1; v <= last; v += 2 {
		w, r := a[v], &rows[v]
		o0 += w * r[0]
		o1 += w * r[1]
	}
	dst[stride], dst[stride+1] = clip(e0-o0+128), clip(e1-o1+128)
	dst[0], dst[1] = clip(e0+o0+128), clip(e1+o1+128)
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
