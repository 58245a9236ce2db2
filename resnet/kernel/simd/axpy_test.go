package simd

import (
	"math/rand/v2"
	"testing"
)

// TestAxpyMatchesGo checks the assembly loop against the Go one at every
// length around its 32- and 8-float steps, with alpha 1 and another, and
// that it writes nothing past len(x).
func TestAxpyMatchesGo(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("this CPU has no AVX2/FMA: Axpy runs its Go loop, the reference itself")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 100; n++ {
		for _, alpha := range []float32{1, -0.75} {
			x := make([]float32, n)
			y := make([]float32, n+3)
			for i := range x {
				x[i] = rng.Float32()*2 - 1
			}
			for i := range y {
				y[i] = rng.Float32()*2 - 1
			}
			want := append([]float32(nil), y...)
			axpyGo(alpha, x, want)
			Axpy(alpha, x, y)
			for i := range y {
				// FMA rounds once where the Go loop rounds twice.
				if d := y[i] - want[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("n %d alpha %v: y[%d] = %v, want %v", n, alpha, i, y[i], want[i])
				}
			}
		}
	}
}
