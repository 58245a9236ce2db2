package simd

import "testing"

// TestStrided checks every length around the 8-value step, strides 1 to 3,
// sources exactly as long as needed (the vector loop must not read past
// them) and longer, and that nothing past len(dst) is written.
func TestStrided(t *testing.T) {
	for stride := 1; stride <= 3; stride++ {
		for n := 0; n <= 40; n++ {
			for extra := 0; extra <= 17; extra += 17 {
				need := 0
				if n > 0 {
					need = (n-1)*stride + 1
				}
				src := make([]float32, need+extra)
				for i := range src {
					src[i] = float32(i) + 0.5
				}
				dst := make([]float32, n+2)
				dst[n], dst[n+1] = -1, -1
				Strided(dst[:n], src, stride)
				for i := 0; i < n; i++ {
					if dst[i] != src[i*stride] {
						t.Fatalf("stride %d n %d extra %d: dst[%d] = %v, want %v", stride, n, extra, i, dst[i], src[i*stride])
					}
				}
				if dst[n] != -1 || dst[n+1] != -1 {
					t.Fatalf("stride %d n %d: wrote past dst", stride, n)
				}
			}
		}
	}
}

// TestAddStrided checks the scatter-add the same way, and that the values
// between the strided ones keep what they held.
func TestAddStrided(t *testing.T) {
	for stride := 1; stride <= 3; stride++ {
		for n := 0; n <= 40; n++ {
			for extra := 0; extra <= 17; extra += 17 {
				need := 0
				if n > 0 {
					need = (n-1)*stride + 1
				}
				dst := make([]float32, need+extra+2)
				for i := range dst {
					dst[i] = float32(i) * 0.25
				}
				want := append([]float32(nil), dst...)
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(i) + 0.5
					want[i*stride] += src[i]
				}
				AddStrided(dst[:need+extra], src, stride)
				for i := range dst {
					if dst[i] != want[i] {
						t.Fatalf("stride %d n %d extra %d: dst[%d] = %v, want %v", stride, n, extra, i, dst[i], want[i])
					}
				}
			}
		}
	}
}
