package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamMatchesGo checks the vector update against the Go loop at lengths
// around its 8-value step, with Adam's L2 decay and AdamW's shrink, and
// that an overflowing weight is reported wherever it lands.
func TestAdamMatchesGo(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("this CPU has no AVX2: Adam runs its Go loop, the reference itself")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	consts := []AdamConsts{
		{0.9, 0.1, 0.999, 0.001, 0.01, 1, 0.003 / 0.1, float32(1 / math.Sqrt(0.001)), 1e-8},
		{0.9, 0.1, 0.999, 0.001, 0, 1 - 0.003*0.05, 0.003 / 0.271, 7.5, 1e-8},
	}
	for _, c := range consts {
		for n := 0; n <= 40; n++ {
			vals := func(scale float32) []float32 {
				s := make([]float32, n)
				for i := range s {
					s[i] = (rng.Float32()*2 - 1) * scale
				}
				return s
			}
			w, g, m, v := vals(1), vals(0.1), vals(0.01), vals(0.001)
			for i := range v {
				v[i] = float32(math.Abs(float64(v[i])))
			}
			cp := func(s []float32) []float32 { return append([]float32(nil), s...) }
			w2, g2, m2, v2 := cp(w), cp(g), cp(m), cp(v)
			if Adam(w, g, m, v, &c) || adamGo(w2, g2, m2, v2, &c) {
				t.Fatalf("n %d: finite values reported non-finite", n)
			}
			for i := range w {
				for _, p := range [][2]float32{{w[i], w2[i]}, {m[i], m2[i]}, {v[i], v2[i]}} {
					if d := math.Abs(float64(p[0] - p[1])); d > 1e-6*(1+math.Abs(float64(p[1]))) {
						t.Fatalf("n %d: value %d is %v, the Go loop's %v", n, i, p[0], p[1])
					}
				}
				if g[i] != 0 {
					t.Fatalf("n %d: gradient %d not zeroed", n, i)
				}
			}
			for at := 0; at < n; at++ {
				w, g, m, v := vals(1), vals(0.1), vals(0.01), vals(0.001)
				for i := range v {
					v[i] = float32(math.Abs(float64(v[i])))
				}
				g[at] = float32(math.Inf(1)) // m = ∞, v = ∞: the weight becomes NaN
				if !Adam(w, g, m, v, &c) {
					t.Fatalf("n %d: a non-finite weight at %d was not reported", n, at)
				}
			}
		}
	}
}
