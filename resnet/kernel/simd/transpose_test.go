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

// TestTranspose6x8 checks the six-row transpose of the AVX2 kernel's
// panels: every value in place, and nothing written past its 48 floats.
func TestTranspose6x8(t *testing.T) {
	if !haveTranspose {
		t.Skip("this CPU has no AVX: the packing transposes one value at a time")
	}
	const lds = 11
	src := make([]float32, 6*lds)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, 48+8)
	for i := range dst {
		dst[i] = -1
	}
	transpose6x8AVX(&src[0], lds, &dst[0])
	for i, got := range dst {
		want := float32(-1)
		if i < 48 {
			want = src[i%6*lds+i/6]
		}
		if got != want {
			t.Fatalf("dst[%d] (step %d, row %d) = %v, want %v", i, i/6, i%6, got, want)
		}
	}
}
