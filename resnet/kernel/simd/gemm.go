package simd

import (
	"fmt"
	"sync"
)

// Sgemm is a single-threaded float32 matrix product on the micro-kernel
// mk: C = alpha·op(A)·op(B) + beta·C on row-major matrices, the signature of
// BLAS sgemm.
// It follows the GotoBLAS/BLIS scheme: blocks of B (kc×nc) and A (mc×kc)
// are packed into panels that the micro-kernel (AVX-512 8×32 or AVX2 6×16,
// conv_gemm*_amd64.s) streams through. gonum's Sgemm, which does not pack
// and has no FMA kernel, runs several times slower on the same products;
// see docs/performance.md. The convolutions parallelise over tasks, so Sgemm
// itself does not. It panics, as BLAS implementations do, when a matrix is
// shorter than its dimensions need.
func (mk *Kernel) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if trivialProduct(m, n, k, alpha, beta, c, ldc) {
		return
	}
	if alpha == 1 && mk.ReadsAInPlace(tA, n) {
		mk.rowsA(m, n, k, a, lda, tB, b, ldb, beta, c, ldc)
		return
	}
	ap := getPanel(mk.mc * mk.kc)
	defer panels.Put(ap)
	apk := *ap
	mk.blocks(m, n, k, tB, b, ldb, nil, beta, c, ldc, func(ic, pc, mc, kc int) []float32 {
		packA(tA, a, lda, ic, pc, mc, kc, mk.mr, alpha, apk)
		return apk
	})
}

// PackedA is the left operand of many products packed once for one kernel:
// a convolution's weights, which every task of a layer multiplies, are
// otherwise packed again by each task (a sixth of an inference pass at
// 64 px went to that).
type PackedA struct {
	mk   *Kernel
	m, k int
	data []float32
}

// PackedSize is the floats PackA needs for an m×k operand.
func (mk *Kernel) PackedSize(m, k int) int { return roundUp(m, mk.mr) * k }

// PackA packs op(A), m×k, times alpha, into dst (PackedSize floats or more)
// in the order Sgemm's blocks read it: per block of kc steps, per block of
// mc rows, the panels of mr rows. The blocks are independent: forEach(n,
// body) must call body(i) for every i < n, on as many goroutines as the
// caller likes (PackA starts none).
func (mk *Kernel) PackA(tA bool, m, k int, alpha float32, a []float32, lda int, dst []float32, forEach func(n int, body func(i int))) PackedA {
	if tA {
		checkMatrix("A", k, m, lda, len(a))
	} else {
		checkMatrix("A", m, k, lda, len(a))
	}
	mPad := roundUp(m, mk.mr)
	dst = dst[:mPad*k]
	rowBlocks := (m + mk.mc - 1) / mk.mc
	kcb := mk.stepBlock(k)
	stepBlocks := (k + kcb - 1) / kcb
	forEach(rowBlocks*stepBlocks, func(i int) {
		ic, pc := i%rowBlocks*mk.mc, i/rowBlocks*kcb
		packA(tA, a, lda, ic, pc, min(mk.mc, m-ic), min(kcb, k-pc), mk.mr, alpha, dst[pc*mPad+ic*min(kcb, k-pc):])
	})
	return PackedA{mk: mk, m: m, k: k, data: dst}
}

// Serially is a forEach for PackA that runs every block on the caller's
// goroutine.
func Serially(n int, body func(i int)) {
	for i := 0; i < n; i++ {
		body(i)
	}
}

// Sgemm is C = A·op(B) + beta·C with the packed A (its alpha applied when
// packed): the same product as Kernel.Sgemm, without packing A again.
func (p PackedA) Sgemm(tB bool, n int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if tB {
		checkMatrix("B", n, p.k, ldb, len(b))
	} else {
		checkMatrix("B", p.k, n, ldb, len(b))
	}
	checkMatrix("C", p.m, n, ldc, len(c))
	if trivialProduct(p.m, n, p.k, 1, beta, c, ldc) {
		return
	}
	mPad := roundUp(p.m, p.mk.mr)
	p.mk.blocks(p.m, n, p.k, tB, b, ldb, nil, beta, c, ldc, func(ic, pc, mc, kc int) []float32 {
		return p.data[pc*mPad+ic*kc:]
	})
}

// HasOffsetB says whether SgemmOffsetB runs on p's kernel (the AVX-512
// and AVX2 ones have it).
func (p PackedA) HasOffsetB() bool { return p.mk.runOffsetB != nil }

// OffsetBSlack is how many floats past each offset SgemmOffsetB reads for
// n columns: whole panels of the kernel's width, the columns past n read
// and not used.
func (p PackedA) OffsetBSlack(n int) int { return roundUp(n, p.mk.nr) }

// SgemmOffsetB is C = A·B with the packed A and a k×n B whose row p is
// b[offs[p] : offs[p]+n], read in place: B is never packed. It is the
// product of a stride-1 convolution straight from its zero-padded input,
// each row of im2col being that input shifted by one offset, and it adds in
// the order Sgemm does, so the two give the same bits. b must hold
// OffsetBSlack(n) floats from every offset; it panics otherwise, or when
// the kernel has no such variant (HasOffsetB).
func (p PackedA) SgemmOffsetB(n int, b []float32, offs []int, c []float32, ldc int) {
	mk := p.mk
	if mk.runOffsetB == nil {
		panic("gemm: " + mk.name + " has no kernel reading B at offsets")
	}
	if len(offs) != p.k {
		panic(fmt.Sprintf("gemm: %d offsets for %d steps", len(offs), p.k))
	}
	checkMatrix("C", p.m, n, ldc, len(c))
	if trivialProduct(p.m, n, p.k, 1, 0, c, ldc) {
		return
	}
	span := p.OffsetBSlack(n)
	for _, o := range offs {
		if o < 0 || o+span > len(b) {
			panic(fmt.Sprintf("gemm: B row at %d needs %d floats, b has %d", o, span, len(b)))
		}
	}
	mPad := roundUp(p.m, mk.mr)
	mk.blocks(p.m, n, p.k, false, b, 0, offs, 0, c, ldc, func(ic, pc, mc, kc int) []float32 {
		return p.data[pc*mPad+ic*kc:]
	})
}

// putEdge writes (or, with acc, adds) the valid mrr×nrr part of a tile the
// micro-kernel computed into edge (rows nr apart) onto c (rows ldc apart):
// a partial tile at C's edges.
func putEdge(c []float32, ldc int, edge []float32, nr, mrr, nrr int, acc bool) {
	for i := 0; i < mrr; i++ {
		row, e := c[i*ldc:i*ldc+nrr], edge[i*nr:i*nr+nrr]
		if acc {
			for j, v := range e {
				row[j] += v
			}
		} else {
			copy(row, e)
		}
	}
}

// trivialProduct scales C by beta (beta ≠ 0, 1) and reports whether that
// is the whole product: nothing to compute, or a zero alpha or k.
func trivialProduct(m, n, k int, alpha, beta float32, c []float32, ldc int) bool {
	if m == 0 || n == 0 {
		return true
	}
	if beta != 0 && beta != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if k == 0 || alpha == 0 {
		if beta == 0 {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return true
	}
	return false
}

// blocks runs the product over B's and A's blocks: B is packed here, A's
// panels for rows [ic, ic+mc) and steps [pc, pc+kc) come from panelsOfA.
// With offs, B is not packed: its row p is read in place at b[offs[p]:]
// (runOffsetB; SgemmOffsetB has checked the bounds). C was already scaled
// when beta is not 0 or 1.
func (mk *Kernel) blocks(m, n, k int, tB bool, b []float32, ldb int, offs []int, beta float32, c []float32, ldc int, panelsOfA func(ic, pc, mc, kc int) []float32) {
	mr, nr := mk.mr, mk.nr
	kcb := mk.stepBlock(k)
	var bpk []float32
	if offs == nil {
		bp := getPanel(kcb * min(roundUp(n, nr), mk.nc))
		defer panels.Put(bp)
		bpk = *bp
	}
	var edgeTile [maxTile]float32
	edge := edgeTile[:mr*nr]
	for jc := 0; jc < n; jc += mk.nc {
		nc := min(mk.nc, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			if offs == nil {
				packB(tB, b, ldb, pc, jc, kc, nc, nr, bpk)
			}
			acc := beta != 0 || pc > 0
			for ic := 0; ic < m; ic += mk.mc {
				mc := min(mk.mc, m-ic)
				apk := panelsOfA(ic, pc, mc, kc)
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					// tile computes the tile of A's panel apanel into c.
					tile := func(apanel, c *float32, ldc int, acc bool) {
						if offs != nil {
							mk.runOffsetB(kc, apanel, &b[jc+jr], &offs[pc], c, ldc, acc)
						} else {
							mk.run(kc, apanel, &bpk[jr*kc], c, ldc, acc)
						}
					}
					for ir := 0; ir < mc; ir += mr {
						mrr := min(mr, mc-ir)
						apanel := &apk[ir*kc]
						at := (ic+ir)*ldc + jc + jr
						if mrr == mr && nrr == nr {
							tile(apanel, &c[at], ldc, acc)
							continue
						}
						// A partial tile: into a local tile, then the valid part.
						tile(apanel, &edge[0], nr, false)
						putEdge(c[at:], ldc, edge, nr, mrr, nrr, acc)
					}
				}
			}
		}
	}
}

// Kernel is one of Sgemm's register-blocked inner products with the block
// sizes that suit it: run computes an mr×nr tile of C from a packed
// panel of A (k steps of mr floats) and one of B (k steps of nr floats);
// an mc×kc block of A stays in the L2 cache, a kc×nr panel of B in L1, and
// a kc×nc block of B in L3 (BLIS's choices for Zen).
type Kernel struct {
	name       string // as kernel.UseProduct takes it
	label      string // as a person reads it
	mr, nr     int
	mc, kc, nc int
	run        func(k int, a, b, c *float32, ldc int, accumulate bool)
	// runRowsA, where there is one, is run with A read in place (rows lda
	// floats apart) instead of packed.
	runRowsA func(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool)
	// runOffsetB, where there is one, is run with B's rows read in place,
	// row p at b + offs[p] (PackedA.SgemmOffsetB).
	runOffsetB func(k int, a, b *float32, offs *int, c *float32, ldc int, accumulate bool)
}

// SumOrder names the order in which Sgemm and its variants add a
// product's terms, for records of a run's arithmetic: it changes whenever
// that order does (the k blocks of stepBlock changed it), so that a run
// resumed by a build that sums otherwise is known not to go on bit for bit.
const SumOrder = "k in even blocks"

// stepBlock is the steps of each block of k: k split evenly into as few
// blocks as kc allows, a multiple of 8, rather than whole kc blocks and a
// short last one. Each block reloads and stores every tile of C and
// restarts the kernel's loop, which a short block barely amortises: a
// 64×576×1024 product ran at 29–32 GFLOP/s with 576 steps as 256+256+64,
// 31–33 as 3×192 (AVX2, one core, alternating runs).
func (mk *Kernel) stepBlock(k int) int {
	blocks := (k + mk.kc - 1) / mk.kc
	return min(mk.kc, roundUp((k+blocks-1)/blocks, 8))
}

// fewPanels is the most panels of B for which Sgemm reads a row-major A in
// place rather than packing it: each value of A is then used at most this
// many times, and packing would move it twice more.
const fewPanels = 2

// ReadsAInPlace says whether Sgemm multiplies an op(A) with n columns of B
// without packing A (alpha 1): then packing it beforehand only adds work.
func (mk *Kernel) ReadsAInPlace(tA bool, n int) bool {
	return !tA && mk.runRowsA != nil && n <= fewPanels*mk.nr
}

// rowsA is Sgemm for !tA, alpha 1 and few columns on a kernel with
// runRowsA: full tiles read A in place; the last rows, fewer than mr, are
// packed into one panel.
func (mk *Kernel) rowsA(m, n, k int, a []float32, lda int, tB bool, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := mk.mr, mk.nr
	bp := getPanel(mk.kc * roundUp(n, nr))
	defer panels.Put(bp)
	ap := getPanel(mr * mk.kc)
	defer panels.Put(ap)
	bpk, apk := *bp, *ap
	var edgeTile [maxTile]float32
	edge := edgeTile[:mr*nr]
	full := m / mr * mr
	kcb := mk.stepBlock(k)
	for pc := 0; pc < k; pc += kcb {
		kc := min(kcb, k-pc)
		packB(tB, b, ldb, pc, 0, kc, n, nr, bpk)
		acc := beta != 0 || pc > 0
		if full < m {
			packA(false, a, lda, full, pc, m-full, kc, mr, 1, apk)
		}
		for jr := 0; jr < n; jr += nr {
			nrr := min(nr, n-jr)
			bpanel := &bpk[jr*kc]
			for ir := 0; ir < m; ir += mr {
				mrr := min(mr, m-ir)
				at := ir*ldc + jr
				if mrr == mr && nrr == nr {
					mk.runRowsA(kc, &a[ir*lda+pc], lda, bpanel, &c[at], ldc, acc)
					continue
				}
				if mrr == mr {
					mk.runRowsA(kc, &a[ir*lda+pc], lda, bpanel, &edge[0], nr, false)
				} else {
					mk.run(kc, &apk[0], bpanel, &edge[0], nr, false)
				}
				putEdge(c[at:], ldc, edge, nr, mrr, nrr, acc)
			}
		}
	}
}

// Name is the kernel's short name: avx512 or avx2.
func (mk *Kernel) Name() string { return mk.name }

// Label is the kernel's name for people: AVX-512 or AVX2.
func (mk *Kernel) Label() string { return mk.label }

// Kernels are the micro-kernels this CPU runs, fastest first (none off
// amd64 or on a CPU without AVX2 and FMA).
func Kernels() []*Kernel { return kernels }

// panels recycles the packed blocks of A and B across calls, so a training
// step allocates none; they are overwritten before they are read.
var panels sync.Pool

func getPanel(n int) *[]float32 {
	if p, ok := panels.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]float32, n)
	return &b
}

func roundUp(v, m int) int { return (v + m - 1) / m * m }

// maxTile bounds mr·nr over the kernels, for the partial-tile buffer.
const maxTile = 8 * 32

// avx2Kernel is the 6×16 AVX2/FMA micro-kernel: twelve of the sixteen YMM
// registers accumulate.
var avx2Kernel = Kernel{name: "avx2", label: "AVX2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080, run: gemmKernel6x16, runRowsA: gemmKernel6x16RowsA, runOffsetB: gemmKernel6x16OffsetB}

// avx512Kernel is the 8×32 AVX-512 micro-kernel: sixteen of the thirty-two
// ZMM registers accumulate. Its B panel (256×32 floats, 32 KiB) still fits
// the L1 cache of 48 KiB of the Zen 5 cores it was tuned on.
var avx512Kernel = Kernel{name: "avx512", label: "AVX-512", mr: 8, nr: 32, mc: 128, kc: 256, nc: 4096, run: gemmKernel8x32, runRowsA: gemmKernel8x32RowsA, runOffsetB: gemmKernel8x32OffsetB}

// packA copies rows [ic, ic+mc), columns [pc, pc+kc) of op(A), times alpha,
// into panels of mr rows, each stored step by step (mr floats per step of
// k), zero-padding the last panel.
func packA(tA bool, a []float32, lda, ic, pc, mc, kc, mr int, alpha float32, dst []float32) {
	for ir := 0; ir < mc; ir += mr {
		mrr := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+mr*kc]
		if tA {
			// op(A)(i, p) = a[p*lda + i]: each step's rows are contiguous.
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+ic+ir : (pc+p)*lda+ic+ir+mrr]
				d := panel[p*mr : p*mr+mr]
				for i, v := range src {
					d[i] = alpha * v
				}
				clear(d[mrr:])
			}
			continue
		}
		// op(A)(i, p) = a[i*lda + p]: a transpose, eight steps at a time
		// where the panel is eight (AVX-512) or six (AVX2) rows wide; one
		// value at a time, a third of an AVX2 inference pass at 64 px was
		// this loop.
		p8 := 0
		if haveTranspose && mrr == mr && alpha == 1 && (mr == 8 || mr == 6) {
			src := a[(ic+ir)*lda+pc:]
			_ = src[(mr-1)*lda+kc-1]
			_ = panel[kc*mr-1]
			for p8 = 0; p8+8 <= kc; p8 += 8 {
				if mr == 8 {
					transpose8x8AVX(&src[p8], lda, &panel[p8*mr], mr)
				} else {
					transpose6x8AVX(&src[p8], lda, &panel[p8*mr])
				}
			}
		}
		for i := 0; i < mrr; i++ {
			src := a[(ic+ir+i)*lda+pc+p8 : (ic+ir+i)*lda+pc+kc]
			for p, v := range src {
				panel[(p8+p)*mr+i] = alpha * v
			}
		}
		for i := mrr; i < mr; i++ {
			for p := 0; p < kc; p++ {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packB copies rows [pc, pc+kc), columns [jc, jc+nc) of op(B) into panels
// of nr columns, each stored step by step, zero-padding the last panel.
func packB(tB bool, b []float32, ldb, pc, jc, kc, nc, nr int, dst []float32) {
	for jr := 0; jr < nc; jr += nr {
		nrr := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		if !tB {
			// op(B)(p, j) = b[p*ldb + j]: each step's columns are contiguous;
			// a full panel moves in vector rows (a copy call per step of 32
			// floats cost more than the copy).
			if nrr == nr && haveTranspose && (nr == 32 || nr == 16) {
				src := b[pc*ldb+jc+jr:]
				_ = src[(kc-1)*ldb+nr-1]
				_ = panel[kc*nr-1]
				if nr == 32 {
					copyRows32AVX(&panel[0], &src[0], ldb, kc)
				} else {
					copyRows16AVX(&panel[0], &src[0], ldb, kc)
				}
				continue
			}
			for p := 0; p < kc; p++ {
				d := panel[p*nr : p*nr+nr]
				copy(d, b[(pc+p)*ldb+jc+jr:(pc+p)*ldb+jc+jr+nrr])
				clear(d[nrr:])
			}
			continue
		}
		// op(B)(p, j) = b[j*ldb + p]: a transpose, in 8×8 blocks where the
		// CPU has AVX (the weight gradient's colᵀ), then the rest one by one.
		j8 := 0
		if haveTranspose && kc >= 8 {
			for ; j8+8 <= nrr; j8 += 8 {
				src := b[(jc+jr+j8)*ldb+pc:]
				_ = src[7*ldb+kc-1]
				p := 0
				for ; p+8 <= kc; p += 8 {
					transpose8x8AVX(&src[p], ldb, &panel[p*nr+j8], nr)
				}
				for j := 0; j < 8; j++ {
					for q := p; q < kc; q++ {
						panel[q*nr+j8+j] = src[j*ldb+q]
					}
				}
			}
		}
		for j := j8; j < nrr; j++ {
			src := b[(jc+jr+j)*ldb+pc : (jc+jr+j)*ldb+pc+kc]
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
		for j := nrr; j < nr; j++ {
			for p := 0; p < kc; p++ {
				panel[p*nr+j] = 0
			}
		}
	}
}

// checkGemm panics when a matrix is shorter than its dimensions need: the
// micro-kernel does not check bounds.
func checkGemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension %d×%d×%d", m, n, k))
	}
	if tA {
		checkMatrix("A", k, m, lda, len(a))
	} else {
		checkMatrix("A", m, k, lda, len(a))
	}
	if tB {
		checkMatrix("B", n, k, ldb, len(b))
	} else {
		checkMatrix("B", k, n, ldb, len(b))
	}
	checkMatrix("C", m, n, ldc, len(c))
}

// checkMatrix panics unless a rows×cols matrix with stride ld fits in have
// values.
func checkMatrix(name string, rows, cols, ld, have int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols || have < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s is %d×%d with stride %d but has %d values", name, rows, cols, ld, have))
	}
}
