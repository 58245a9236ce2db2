package simd

import "math/bits"

// MaskedRows32 writes len(offs) rows of 32 floats into dst: row r holds
// src[offs[r]+j] in lane j where bit j of masks[r] is set, else 0. It packs
// a B panel of the AVX-512 kernel from values that sit at some offset in
// src, such as a convolution's shifted image rows, with the lanes that fell
// off the image zeroed; offs[r]+j may lie outside src where bit j is clear,
// and is then not read.
func MaskedRows32(dst, src []float32, offs []int32, masks []uint32) {
	rows := len(offs)
	if len(masks) < rows || len(dst) < 32*rows {
		panic("MaskedRows32: masks or dst shorter than offs")
	}
	for r, off := range offs {
		if m := masks[r]; m != 0 {
			lo, hi := int(off)+bits.TrailingZeros32(m), int(off)+31-bits.LeadingZeros32(m)
			if lo < 0 || hi >= len(src) {
				panic("MaskedRows32: a masked-in lane outside src")
			}
		}
	}
	if rows == 0 {
		return
	}
	if haveMaskedRows {
		maskedRows32AVX512(&dst[0], &src[0], &offs[0], &masks[0], rows)
		return
	}
	maskedRows32(dst, src, offs, masks)
}

// HasMaskedRows32 says whether MaskedRows32 runs as vector code here (else
// it is a plain loop, slower than copying whole rows).
func HasMaskedRows32() bool { return haveMaskedRows }

// maskedRows32 is MaskedRows32 in Go.
func maskedRows32(dst, src []float32, offs []int32, masks []uint32) {
	for r, off := range offs {
		d := dst[r*32 : r*32+32]
		for j := range d {
			if masks[r]>>j&1 != 0 {
				d[j] = src[int(off)+j]
			} else {
				d[j] = 0
			}
		}
	}
}

