package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/reslab/reslab/internal/gradcheck"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestGemmMatchesGonum compares the packed product on each micro-kernel the
// CPU runs with gonum's Sgemm, on shapes around both kernels' tile and block
// edges, every transpose, strides wider than the matrices, and several
// alphas and betas. A kernel the CPU lacks is named as skipped.
func TestGemmMatchesGonum(t *testing.T) {
	for _, mk := range []*Kernel{&avx512Kernel, &avx2Kernel} {
		t.Run(mk.name, func(t *testing.T) {
			if !slices.Contains(kernels, mk) {
				t.Skipf("this CPU cannot run the %s kernel (it runs %v)", mk.label, names(kernels))
			}
			gemmMatchesGonum(t, mk)
		})
	}
}

// gemmDims are the m×n×k products gemmMatchesGonum checks: single tiles
// and their edges, row blocks (mc) and their edges, column blocks (nc),
// several blocks of k, and thin products.
var gemmDims = [][3]int{
	{1, 1, 1}, {6, 16, 1}, {6, 16, 7}, {5, 15, 3}, {7, 17, 9}, {13, 33, 5},
	{8, 32, 1}, {8, 32, 6}, {7, 31, 5}, {9, 33, 7}, {17, 65, 11},
	{144, 64, 256}, {145, 80, 257}, {128, 96, 256}, {129, 100, 258}, {150, 4100, 20}, {20, 4097, 9},
	{64, 576, 300}, {300, 49, 600}, {2, 3, 1000},
}

func gemmMatchesGonum(t *testing.T, mk *Kernel) { gemmMatchesGonumOn(t, mk, gemmDims) }

func gemmMatchesGonumOn(t *testing.T, mk *Kernel, dims [][3]int) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range dims {
		m, n, k := d[0], d[1], d[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {2, 0.5}} {
					alpha, beta := ab[0], ab[1]
					name := fmt.Sprintf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v", m, n, k, tA, tB, alpha, beta)
					ar, ac := m, k
					if tA {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+3, bc+1, n+2
					a := gradcheck.RandomValues(ar*lda, rng)
					b := gradcheck.RandomValues(br*ldb, rng)
					c := gradcheck.RandomValues(m*ldc, rng)
					want := append([]float32(nil), c...)
					gonum.Implementation{}.Sgemm(tr(tA), tr(tB), m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
					got := append([]float32(nil), c...)
					mk.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
					// The same product with A packed beforehand is the same
					// arithmetic in the same order: equal to the last bit.
					packed := append([]float32(nil), c...)
					mk.PackA(tA, m, k, alpha, a, lda, make([]float32, mk.PackedSize(m, k)), Serially).Sgemm(tB, n, b, ldb, beta, packed, ldc)
					for i := range packed {
						if packed[i] != got[i] {
							t.Fatalf("%s: with A packed first C[%d] = %v, packed per call %v", name, i, packed[i], got[i])
						}
					}
					for i := range got {
						if j := i % ldc; j >= n && got[i] != c[i] {
							t.Fatalf("%s: wrote outside C at %d", name, i)
						}
						if diff := math.Abs(float64(got[i] - want[i])); diff > 1e-4*math.Sqrt(float64(k))*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("%s: C[%d] = %v, gonum %v", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestGemmChecksLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("short C accepted")
		}
	}()
	avx2Kernel.Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
}

func tr(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func names(ks []*Kernel) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.name)
	}
	return out
}

// SgemmOffsetB reads B's rows where they are and must add exactly as the
// packed product does: the same bits, on shapes around the tile and block
// edges (k past kc, n past nc, partial tiles) with rows at arbitrary,
// overlapping offsets.
func TestSgemmOffsetBMatchesPacked(t *testing.T) {
	for _, mk := range []*Kernel{&avx512Kernel, &avx2Kernel} {
		t.Run(mk.name, func(t *testing.T) {
			if !slices.Contains(kernels, mk) {
				t.Skipf("this CPU cannot run the %s kernel (it runs %v)", mk.label, names(kernels))
			}
			offsetBMatchesPacked(t, mk)
		})
	}
}

func offsetBMatchesPacked(t *testing.T, mk *Kernel) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range [][3]int{{8, 32, 1}, {8, 32, 9}, {7, 31, 5}, {6, 16, 3}, {13, 47, 11}, {16, 70, 300}, {33, 100, 257}, {32, 4100, 20}, {64, 1022, 576}, {130, 40, 600}} {
		m, n, k := d[0], d[1], d[2]
		ldc := n + 3
		b := gradcheck.RandomValues(3*n+k+64, rng)
		offs := make([]int, k)
		for p := range offs {
			offs[p] = rng.IntN(len(b) - roundUp(n, mk.nr) + 1)
		}
		bm := make([]float32, k*n) // B materialised
		for p, o := range offs {
			copy(bm[p*n:(p+1)*n], b[o:o+n])
		}
		a := gradcheck.RandomValues(m*k, rng)
		pa := mk.PackA(false, m, k, 1, a, k, make([]float32, mk.PackedSize(m, k)), Serially)
		want := gradcheck.RandomValues(m*ldc, rng)
		got := append([]float32(nil), want...)
		pa.Sgemm(false, n, bm, n, 0, want, ldc)
		pa.SgemmOffsetB(n, b, offs, got, ldc)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%dx%dx%d: C[%d] = %v, the packed product gives %v", m, n, k, i, got[i], want[i])
			}
		}
	}
}

func TestSgemmOffsetBRefusesShortB(t *testing.T) {
	mk := &avx512Kernel
	if !slices.Contains(kernels, mk) {
		t.Skipf("this CPU cannot run the %s kernel", mk.label)
	}
	pa := mk.PackA(false, 8, 2, 1, make([]float32, 16), 2, make([]float32, mk.PackedSize(8, 2)), Serially)
	defer func() {
		if recover() == nil {
			t.Error("a B row past the buffer's end did not panic")
		}
	}()
	pa.SgemmOffsetB(20, make([]float32, 40), []int{0, 9}, make([]float32, 8*20), 20)
}

// TestStepBlocksSplitEvenly checks that k is cut into as few blocks as kc
// allows, of a multiple of 8 steps, the last one shorter than the others
// by less than 8 steps per block.
func TestStepBlocksSplitEvenly(t *testing.T) {
	for _, mk := range []*Kernel{&avx512Kernel, &avx2Kernel} {
		for k := 1; k <= 5000; k++ {
			kc := mk.stepBlock(k)
			blocks := (k + kc - 1) / kc
			last := k - (blocks-1)*kc
			if kc > mk.kc || kc%8 != 0 || blocks != (k+mk.kc-1)/mk.kc || last > kc || (blocks > 1 && last <= kc-8*blocks) {
				t.Fatalf("%s: k=%d: blocks of %d steps (%d blocks, the last %d); kc is %d", mk.name, k, kc, blocks, last, mk.kc)
			}
		}
	}
	if got := avx2Kernel.stepBlock(576); got != 192 {
		t.Errorf("576 steps: blocks of %d, want 3 of 192", got)
	}
}

// BenchmarkKernelTile times each micro-kernel alone on one tile whose
// panels (256 steps) stay in the L1 cache: the most its products can reach
// on one core, against which -bench Sgemm's packing and blocking show.
func BenchmarkKernelTile(b *testing.B) {
	for _, mk := range kernels {
		b.Run(mk.name, func(b *testing.B) {
			const k = 256
			a, bp := make([]float32, mk.mr*k), make([]float32, mk.nr*k)
			c := make([]float32, mk.mr*mk.nr)
			for i := 0; i < b.N; i++ {
				mk.run(k, &a[0], &bp[0], &c[0], mk.nr, false)
			}
			b.ReportMetric(float64(2*mk.mr*mk.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// goTile is a micro-kernel in plain Go for an mr×nr tile, with the
// assembly kernels' contract: C[0:mr, 0:nr] (row stride ldc) = or += A·B
// from packed panels of k steps.
func goTile(mr, nr int) func(k int, a, b, c *float32, ldc int, accumulate bool) {
	return func(k int, a, b, c *float32, ldc int, accumulate bool) {
		as, bs, cs := unsafe.Slice(a, k*mr), unsafe.Slice(b, k*nr), unsafe.Slice(c, (mr-1)*ldc+nr)
		var tile [maxTile]float32 // summed step by step, as the assembly does
		for p := range k {
			bp := bs[p*nr : (p+1)*nr]
			for i, ai := range as[p*mr : (p+1)*mr] {
				row := tile[i*nr : (i+1)*nr]
				for j, bj := range bp {
					row[j] += ai * bj
				}
			}
		}
		for i := range mr {
			for j := range nr {
				if accumulate {
					cs[i*ldc+j] += tile[i*nr+j]
				} else {
					cs[i*ldc+j] = tile[i*nr+j]
				}
			}
		}
	}
}

// TestBlockingMatchesGonumOnAnyCPU runs each assembly kernel's blocking
// (its tile, block sizes and packing) with a Go tile in place of the
// assembly, so that the blocks, the packing and the even k blocks of the
// AVX-512 kernel are checked on CPUs that cannot run it too.
func TestBlockingMatchesGonumOnAnyCPU(t *testing.T) {
	for _, asm := range []*Kernel{&avx512Kernel, &avx2Kernel} {
		t.Run(asm.name, func(t *testing.T) {
			mk := Kernel{name: asm.name + "-go", label: asm.label + " blocking in Go", mr: asm.mr, nr: asm.nr, mc: asm.mc, kc: asm.kc, nc: asm.nc, run: goTile(asm.mr, asm.nr)}
			// The block edges of gemmDims, smaller: the Go tile is slow
			// under the race detector.
			gemmMatchesGonumOn(t, &mk, [][3]int{
				{1, 1, 1}, {7, 17, 9}, {9, 33, 7}, {17, 65, 11},
				{145, 40, 257}, {129, 50, 258}, {20, 4097, 3}, {20, 70, 600}, {2, 3, 1000},
			})
		})
	}
}
