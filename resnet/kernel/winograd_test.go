package kernel

import (
	"fmt"
	"os"
	"testing"

	"github.com/reslab/reslab/resnet/kernel/simd"
)

// winogradCases take F(2×2, 3×3): planes split into rows of tiles, rows of
// 7, 14 and 28 tiles (the vector transforms compute whole blocks of eight),
// an odd height and width, small images several to a task, and 7×7 planes
// (whose weight gradient is im2col's).
var winogradCases = []convCase{
	{2, 64, 56, 56, 64, 3, 1, 1},
	{8, 16, 28, 28, 24, 3, 1, 1},
	{8, 40, 14, 14, 16, 3, 1, 1},
	{2, 8, 17, 33, 8, 3, 1, 1},
	{16, 24, 8, 8, 32, 3, 1, 1},
	{12, 16, 7, 7, 24, 3, 1, 1},
}

// TestWinogradMatchesGorgonia: a convolution by F(2×2, 3×3) gives what
// gorgonia's im2col convolution gives, output and both gradients (the input
// gradient is a forward convolution too, with the flipped weights), on
// every kernel of this CPU.
func TestWinogradMatchesGorgonia(t *testing.T) {
	for i, c := range winogradCases {
		if g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad); !g.usesWinograd() {
			t.Fatalf("%v does not take F(2×2, 3×3)", c)
		}
		x, w := c.values(uint64(i))
		wantY, wantDx, wantDw := runConv(t, c, x, w, false)
		for _, product := range products(t) {
			if product.name == "gonum" || product.name == "openblas" {
				continue // no reslab kernel: the other paths run
			}
			product.use()
			y, dx, dw := runConv(t, c, x, w, true)
			matchesGorgonia(t, fmt.Sprintf("%v %s", c, product.name), [3][]float32{y, dx, dw}, [3][]float32{wantY, wantDx, wantDw})
		}
		UseProduct("")
	}
}

// TestWinogradAppliesTheEpilogue: an inference convolution by F(2×2, 3×3)
// gets the folded BatchNorm, shortcut and ReLU on every tile row, as the
// im2col path applies them.
func TestWinogradAppliesTheEpilogue(t *testing.T) {
	defer func(on bool) { winogradConvs = on }(winogradConvs)
	for i, c := range winogradCases {
		g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
		x, w := c.values(uint64(i))
		size := c.n * c.cout * g.p
		epi := &convEpilogue{relu: true, residual: make([]float32, size)}
		for o := 0; o < c.cout; o++ {
			epi.scale = append(epi.scale, 0.5+float32(o%5))
			epi.shift = append(epi.shift, float32(o%3)-1)
		}
		for j := range epi.residual {
			epi.residual[j] = float32(j%7) - 3
		}
		want, got := make([]float32, size), make([]float32, size)
		winogradConvs = false
		g.forwardWith(x, w, want, epi)
		winogradConvs = true
		g.forwardWith(x, w, got, epi)
		if d, at := closeTo(got, want); d > 1e-5 {
			t.Errorf("%v: differs from im2col's by %.3g at %d: %v, im2col %v", c, d, at, got[at], want[at])
		}
	}
}

// TestWinogradWhereItPays checks which convolutions take F(2×2, 3×3), in
// the forward pass and in the weight gradient.
func TestWinogradWhereItPays(t *testing.T) {
	for _, tc := range []struct {
		c                convCase
		forward, weights bool
	}{
		{convCase{8, 64, 56, 56, 64, 3, 1, 1}, true, true},
		{convCase{32, 32, 32, 32, 32, 3, 1, 1}, true, true},
		{convCase{32, 256, 4, 4, 256, 3, 1, 1}, true, true},   // 128 tiles
		{convCase{8, 128, 8, 8, 128, 3, 1, 1}, true, true},    // 128 tiles
		{convCase{2, 8, 17, 33, 8, 3, 1, 1}, true, true},      // 9×17 tiles for 17×33: 9 % more
		{convCase{8, 512, 7, 7, 512, 3, 1, 1}, true, false},   // 7×7: 64 outputs computed for 49
		{convCase{8, 256, 4, 4, 256, 3, 1, 1}, false, false},  // 32 tiles
		{convCase{8, 512, 2, 2, 512, 3, 1, 1}, false, false},  // 8 tiles
		{convCase{8, 16, 5, 5, 16, 3, 1, 1}, false, false},    // 5×5: 36 for 25
		{convCase{8, 64, 56, 56, 128, 3, 2, 1}, false, false}, // strided
		{convCase{8, 64, 56, 56, 64, 1, 1, 0}, false, false},  // 1×1
		{convCase{8, 64, 56, 56, 64, 5, 1, 2}, false, false},  // 5×5
	} {
		g := newConvGeom(tc.c.n, tc.c.cin, tc.c.h, tc.c.w, tc.c.cout, tc.c.k, tc.c.stride, tc.c.pad)
		if got := g.usesWinograd(); got != tc.forward {
			t.Errorf("%v: usesWinograd %v, want %v", tc.c, got, tc.forward)
		}
		if got := g.winogradWeightGradient(); got != tc.weights {
			t.Errorf("%v: winogradWeightGradient %v, want %v", tc.c, got, tc.weights)
		}
	}
}

// winogradBenchLayers are the 3×3 layers of a 224 px ResNet-18 at batch 8,
// of flowers-scratch's width-32 ResNet-18 at 128 px and batch 32, and of a
// 64 px ResNet-18 at batch 8 and 16 (its 4×4 layer3, 32 tiles, is left to
// im2col).
var winogradBenchLayers = []convCase{
	{8, 64, 56, 56, 64, 3, 1, 1},
	{8, 128, 28, 28, 128, 3, 1, 1},
	{8, 256, 14, 14, 256, 3, 1, 1},
	{8, 512, 7, 7, 512, 3, 1, 1},
	{32, 32, 32, 32, 32, 3, 1, 1},
	{32, 64, 16, 16, 64, 3, 1, 1},
	{32, 128, 8, 8, 128, 3, 1, 1},
	{32, 256, 4, 4, 256, 3, 1, 1},
	{8, 64, 16, 16, 64, 3, 1, 1},
	{8, 128, 8, 8, 128, 3, 1, 1},
	{16, 128, 8, 8, 128, 3, 1, 1},
	{8, 256, 4, 4, 256, 3, 1, 1}, // 32 tiles: not taken
}

// BenchmarkConvForwardWinograd times the forward pass of 3×3 layers (a
// 224 px ResNet-18's at batch 8; flowers-scratch's width-32 ResNet-18 at
// 128 px and batch 32; 64 px ResNet-18's) through the other paths (im2col
// or the padded input) and by F(2×2, 3×3), whether or not usesWinograd
// would pick it. RESLAB_GEMM=avx2 times them on the AVX2 kernel.
func BenchmarkConvForwardWinograd(b *testing.B) {
	benchWinograd(b, "other", func(g *convGeom, mk *simd.Kernel, wino bool, x, w, y []float32) {
		if wino {
			g.winogradForward(mk, x, w, y, nil)
		} else {
			g.forward(x, w, y)
		}
	})
}

// BenchmarkWeightGradientWinograd times the weight gradient of the same
// layers through im2col and by F(2×2, 3×3) (RESLAB_GEMM=avx2: on the AVX2
// kernel).
func BenchmarkWeightGradientWinograd(b *testing.B) {
	benchWinograd(b, "im2col", func(g *convGeom, mk *simd.Kernel, wino bool, x, dw, dy []float32) {
		if wino {
			g.winogradBackwardWeights(mk, x, dy, dw)
		} else {
			g.backwardWeights(x, dy, dw)
		}
	})
}

// benchWinograd times pass on every winogradBenchLayers shape, the other
// way (named other) and by F(2×2, 3×3), in GFLOP/s of one product of
// 2·N·O·C·K²·Ho·Wo flops; pass gets the input, the weights and an
// output-sized buffer (filled from the input, as a gradient).
func benchWinograd(b *testing.B, other string, pass func(g *convGeom, mk *simd.Kernel, wino bool, x, w, y []float32)) {
	if err := UseProduct(os.Getenv("RESLAB_GEMM")); err != nil {
		b.Fatal(err)
	}
	defer UseProduct("")
	defer func(on bool) { winogradConvs = on }(winogradConvs)
	for _, c := range winogradBenchLayers {
		for _, path := range []string{other, "winograd"} {
			b.Run(fmt.Sprintf("%v/%s", c, path), func(b *testing.B) {
				mk := activeKernel.Load()
				if mk == nil {
					b.Skip("no reslab kernel")
				}
				g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
				x, w := c.values(1)
				y := make([]float32, c.n*c.cout*g.p)
				for i := range y {
					y[i] = x[i%len(x)]
				}
				winogradConvs = false
				b.ResetTimer()
				for range b.N {
					pass(g, mk, path == "winograd", x, w, y)
				}
				b.ReportMetric(2*float64(c.n*c.cout*g.ckk*g.p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
