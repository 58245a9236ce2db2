package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The vector loops of the Winograd transforms give the Go loops' bits, for
// row lengths around the eight-tile blocks (the vector loops compute whole
// blocks, WinogradSpan, and write nothing past them) and matrices that do
// not start where a block does.
func TestWinogradRowsAreTheGoLoops(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("this CPU has no AVX2: the Go loops are all there is")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for _, tw := range []int{1, 7, 8, 9, 15, 16, 17, 28, 33} {
		span := WinogradSpan(tw)
		stride := span + 5
		p := [4][]float32{random(2*span + 2), random(2*span + 2), random(2*span + 2), random(2*span + 2)}
		// One value past what the transforms may write, to see that they
		// leave it.
		v, want := random(15*stride+span+1), make([]float32, 15*stride+span+1)
		copy(want, v)
		WinogradInputRow(p[0], p[1], p[2], p[3], v, stride, tw)
		winogradInputRowGo(p[0], p[1], p[2], p[3], want, stride, span)
		sameBits(t, "input", tw, v, want)

		m := random(15*stride + span)
		y0, y1 := random(2*span+1), random(2*span+1)
		w0, w1 := make([]float32, 2*span+1), make([]float32, 2*span+1)
		w0[2*span], w1[2*span] = y0[2*span], y1[2*span]
		WinogradOutputRow(m, stride, tw, y0, y1)
		winogradOutputRowGo(m, stride, span, w0, w1)
		sameBits(t, "output row 0", tw, y0, w0)
		sameBits(t, "output row 1", tw, y1, w1)

		g0, g1 := random(2*span), random(2*span)
		dm, wantDm := random(15*stride+span+1), make([]float32, 15*stride+span+1)
		copy(wantDm, dm)
		WinogradGradientRow(g0, g1, dm, stride, tw)
		winogradGradientRowGo(g0, g1, wantDm, stride, span)
		sameBits(t, "gradient", tw, dm, wantDm)
	}
}

// WinogradWeightRows puts each kernel of a layer where transforming that
// kernel alone (WinogradWeights) does, bit for bit.
func TestWinogradWeightRowsAreWinogradWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n, plane = 37, 41
	w := make([]float32, 9*n)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	u := make([]float32, 15*plane+n)
	WinogradWeightRows(w, n, u, plane)
	for i := 0; i < n; i++ {
		want := WinogradWeights(w[9*i : 9*i+9])
		for xi, v := range want {
			if got := u[xi*plane+i]; math.Float32bits(got) != math.Float32bits(v) {
				t.Fatalf("kernel %d, ξ %d: %v, WinogradWeights %v", i, xi, got, v)
			}
		}
	}
}

func sameBits(t *testing.T, what string, tw int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%d tiles, %s [%d]: %v, the Go loop %v", tw, what, i, got[i], want[i])
		}
	}
}

// The weight gradient's transforms are the adjoints of the forward ones:
// for every ∂Y and ∂U, ⟨∂Y, Aᵀ·M·A⟩ = ⟨A·∂Y·Aᵀ, M⟩ and ⟨∂U, G·g·Gᵀ⟩ =
// ⟨Gᵀ·∂U·G, g⟩.
func TestWinogradGradientsAreTheAdjoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	random := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	dot := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	for trial := 0; trial < 20; trial++ {
		m, dy0, dy1 := random(16), random(2), random(2)
		y0, y1 := make([]float32, 2), make([]float32, 2)
		winogradOutputRowGo(m, 1, 1, y0, y1)
		dm := make([]float32, 16)
		winogradGradientRowGo(dy0, dy1, dm, 1, 1)
		if l, r := dot(dy0, y0)+dot(dy1, y1), dot(dm, m); math.Abs(l-r) > 1e-5*(1+math.Abs(l)) {
			t.Fatalf("trial %d: ⟨∂Y, AᵀMA⟩ = %v, ⟨A∂YAᵀ, M⟩ = %v", trial, l, r)
		}
		g, du := random(9), random(16)
		u := WinogradWeights(g)
		var du16 [16]float32
		copy(du16[:], du)
		dg := make([]float32, 9)
		WinogradWeightGradient(&du16, dg)
		if l, r := dot(du, u[:]), dot(dg, g); math.Abs(l-r) > 1e-5*(1+math.Abs(l)) {
			t.Fatalf("trial %d: ⟨∂U, GgGᵀ⟩ = %v, ⟨Gᵀ∂UG, g⟩ = %v", trial, l, r)
		}
	}
}

// The transforms are Winograd's: one tile's input transform, product by
// the transformed weights and output transform is the 3×3 correlation of
// the 4×4 input around it, as a float64 sum gives it.
func TestWinogradTileIsTheCorrelation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 20; trial++ {
		var d [4][]float32
		for i := range d {
			d[i] = make([]float32, 4)
			for j := range d[i] {
				d[i][j] = float32(rng.NormFloat64())
			}
		}
		var k [9]float32
		for i := range k {
			k[i] = float32(rng.NormFloat64())
		}
		v := make([]float32, 16)
		winogradInputRowGo(d[0], d[1], d[2], d[3], v, 1, 1)
		u := WinogradWeights(k[:])
		m := make([]float32, 16)
		for i := range m {
			m[i] = u[i] * v[i]
		}
		y0, y1 := make([]float32, 2), make([]float32, 2)
		winogradOutputRowGo(m, 1, 1, y0, y1)
		for oi, row := range [][]float32{y0, y1} {
			for oj, got := range row {
				var want float64
				for ki := 0; ki < 3; ki++ {
					for kj := 0; kj < 3; kj++ {
						want += float64(k[ki*3+kj]) * float64(d[oi+ki][oj+kj])
					}
				}
				if math.Abs(float64(got)-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("trial %d output (%d, %d): %v, the correlation %v", trial, oi, oj, got, want)
				}
			}
		}
	}
}
