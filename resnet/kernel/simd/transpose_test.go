package simd

import "testing"

// TestTranspose8x8 checks the assembly transpose on strided source and
// destination blocks, and that it writes nothing outside the block.
func TestTranspose8x8(t *testing.T) {
	if !haveTranspose {
		t.Skip("this CPU has no AVX: the packing transposes one value at a time")
	}
	const lds, ldd = 11, 13
	src := make([]float32, 8*lds)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, 8*ldd)
	for i := range dst {
		dst[i] = -1
	}
	transpose8x8AVX(&src[0], lds, &dst[0], ldd)
	for j := 0; j < 8; j++ {
		for c := 0; c < ldd; c++ {
			want := float32(-1)
			if c < 8 {
				want = src[c*lds+j]
			}
			if got := dst[j*ldd+c]; got != want {
				t.Fatalf("dst[%d][%d] = %v, want %v", j, c, got, want)
			}
		}
	}
}
