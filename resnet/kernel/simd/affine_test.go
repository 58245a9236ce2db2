package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAffineMatchesGo checks the vector epilogue against the Go loop, bit
// for bit (the same roundings), with and without the residual and the
// ReLU, at lengths around the 8-value step, and with NaN and ±0 inputs.
func TestAffineMatchesGo(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("this CPU has no AVX2: Affine runs its Go loop, the reference itself")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for n := 0; n <= 33; n++ {
		src, res := make([]float32, n), make([]float32, n)
		for i := range src {
			src[i], res[i] = rng.Float32()*2-1, rng.Float32()*2-1
		}
		if n > 9 {
			src[3], src[5], src[9] = float32(math.NaN()), float32(math.Copysign(0, -1)), 0
		}
		for _, withRes := range []bool{false, true} {
			for _, relu := range []bool{false, true} {
				r := res
				if !withRes {
					r = nil
				}
				got, want := make([]float32, n+1), make([]float32, n+1)
				got[n], want[n] = 7, 7
				// A shift of −0 makes −0 outputs where src is ±0 (no residual):
				// the ReLU must give +0 for them, as Go's max does.
				for _, shift := range []float32{-0.25, float32(math.Copysign(0, -1))} {
					Affine(got[:n], src, r, 1.5, shift, relu)
					affineGo(want[:n], src, r, 1.5, shift, relu)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
							t.Fatalf("n %d res %v relu %v shift %v: [%d] = %v, the Go loop's %v", n, withRes, relu, shift, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
