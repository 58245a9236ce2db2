package simd

import (
	"math/rand/v2"
	"testing"
)

// TestMax3MatchesGo: the vector loop and its Go twin agree bit for bit on
// values with ties among them, over lengths with and without a tail.
func TestMax3MatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 8, 9, 31, 64, 67} {
		a, b, c := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i], c[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
			switch i % 5 {
			case 1:
				b[i] = a[i]
			case 2:
				c[i] = b[i] + 1
			}
		}
		got, want := make([]float32, n), make([]float32, n)
		Max3(got, a, b, c)
		max3Go(want, a, b, c)
		for i := range want {
			if got[i] != want[i] || want[i] < a[i] || want[i] < b[i] || want[i] < c[i] {
				t.Fatalf("n %d, value %d: %v, Go %v, of %v %v %v", n, i, got[i], want[i], a[i], b[i], c[i])
			}
		}
	}
}
