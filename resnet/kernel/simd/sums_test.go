package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumsMatchScalar checks both vector sums against float64 loops at
// lengths around the 8-value step: the additions' order differs, so within
// 1e-12 relative, and the ReLU mask bit for bit (−0 and NaN outputs keep
// their gradient, +0 drops it).
func TestSumsMatchScalar(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("this CPU has no AVX2: the sums run their Go loops")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	close := func(a, b, scale float64) bool { return math.Abs(a-b) <= 1e-12*(scale+1) }
	for n := 0; n <= 70; n++ {
		x, g, y := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], g[i] = rng.Float32()*4-1, rng.Float32()*2-1
			if rng.IntN(2) == 0 {
				y[i] = rng.Float32()
			}
		}
		if n > 12 {
			y[3], y[7], y[12] = float32(math.Copysign(0, -1)), float32(math.NaN()), 0
		}
		var s, s2, abs float64
		for _, v := range x {
			s += float64(v)
			s2 += float64(v) * float64(v)
			abs += math.Abs(float64(v))
		}
		gs, gs2 := Sums(x)
		if !close(gs, s, abs) || !close(gs2, s2, s2) {
			t.Fatalf("n %d: Sums %v, %v; want %v, %v", n, gs, gs2, s, s2)
		}
		for _, mask := range [][]float32{nil, y} {
			var sg, sgx, scale float64
			for i := range x {
				gi := g[i]
				if mask != nil && math.Float32bits(mask[i]) == 0 {
					gi = 0
				}
				sg += float64(gi)
				sgx += float64(gi) * float64(x[i])
				scale += math.Abs(float64(gi)) * (1 + math.Abs(float64(x[i])))
			}
			dg, dgx := DotSums(g, x, mask)
			if !close(dg, sg, scale) || !close(dgx, sgx, scale) {
				t.Fatalf("n %d mask %v: DotSums %v, %v; want %v, %v", n, mask != nil, dg, dgx, sg, sgx)
			}
		}
	}
}

// TestLinear3MatchesGo checks BatchNorm's input-gradient loop bit for bit
// against the Go expression, with and without the ReLU mask.
func TestLinear3MatchesGo(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("this CPU has no AVX2: Linear3 runs its Go loop")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for n := 0; n <= 40; n++ {
		x, g, y := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], g[i] = rng.Float32()*4-1, rng.Float32()*2-1
			if rng.IntN(2) == 0 {
				y[i] = rng.Float32()
			}
		}
		for _, mask := range [][]float32{nil, y} {
			got := make([]float32, n+1)
			got[n] = 9
			Linear3(got[:n], g, x, mask, 0.7, -1.3, 0.01)
			for i := 0; i < n; i++ {
				gi := g[i]
				if mask != nil {
					gi = MaskedByReLU(gi, mask[i])
				}
				if want := 0.7*gi + -1.3*x[i] + 0.01; math.Float32bits(got[i]) != math.Float32bits(want) {
					t.Fatalf("n %d mask %v: [%d] = %v, want %v", n, mask != nil, i, got[i], want)
				}
			}
			if got[n] != 9 {
				t.Fatalf("n %d: wrote past dst", n)
			}
		}
	}
}
