package kernel

import "fmt"

// gemm is a single-threaded float32 matrix product for the convolution
// kernels of the pure-Go build: C = alpha·op(A)·op(B) + beta·C on row-major
// matrices, the signature of BLAS sgemm. It follows the GotoBLAS/BLIS
// scheme: blocks of B (gemmKC×gemmNC) and A (gemmMC×gemmKC) are packed into
// panels that the 6×16 AVX2/FMA micro-kernel (conv_gemm_amd64.s) streams
// through. gonum's Sgemm, which does not pack and has no FMA kernel, runs
// several times slower on the same products; see docs/performance.md.
// The convolutions parallelise over tasks, so gemm itself does not.
func gemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if beta != 0 && beta != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		beta = 1
	}
	if k == 0 || alpha == 0 {
		if beta == 0 {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	var ap, bp []float32
	defer putScratch(&ap)
	defer putScratch(&bp)
	apk := scratchBuf(&ap, gemmMC*gemmKC)
	bpk := scratchBuf(&bp, gemmKC*min(roundUp(n, gemmNR), gemmNC))
	var edge [gemmMR * gemmNR]float32
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			packB(tB, b, ldb, pc, jc, kc, nc, bpk)
			acc := beta == 1 || pc > 0
			for ic := 0; ic < m; ic += gemmMC {
				mc := min(gemmMC, m-ic)
				packA(tA, a, lda, ic, pc, mc, kc, alpha, apk)
				for jr := 0; jr < nc; jr += gemmNR {
					nr := min(gemmNR, nc-jr)
					bpanel := &bpk[jr*kc]
					for ir := 0; ir < mc; ir += gemmMR {
						mr := min(gemmMR, mc-ir)
						apanel := &apk[ir*kc]
						at := (ic+ir)*ldc + jc + jr
						if mr == gemmMR && nr == gemmNR {
							gemmKernel6x16(kc, apanel, bpanel, &c[at], ldc, acc)
							continue
						}
						// A partial tile: into a local tile, then the valid part.
						gemmKernel6x16(kc, apanel, bpanel, &edge[0], gemmNR, false)
						for i := 0; i < mr; i++ {
							row, e := c[at+i*ldc:at+i*ldc+nr], edge[i*gemmNR:i*gemmNR+nr]
							if acc {
								for j, v := range e {
									row[j] += v
								}
							} else {
								copy(row, e)
							}
						}
					}
				}
			}
		}
	}
}

// Block sizes of gemm: the micro-kernel's 6×16 tile; an A block of
// 144×256 (144 KiB) stays in the L2 cache, a B panel of 256×16 (16 KiB) in
// L1, and a B block of 256×4080 in L3 (BLIS's Zen choices).
const (
	gemmMR = 6
	gemmNR = 16
	gemmMC = 144
	gemmKC = 256
	gemmNC = 4080
)

// packA copies rows [ic, ic+mc), columns [pc, pc+kc) of op(A), times alpha,
// into panels of gemmMR rows, each stored step by step (gemmMR floats per
// step of k), zero-padding the last panel.
func packA(tA bool, a []float32, lda, ic, pc, mc, kc int, alpha float32, dst []float32) {
	for ir := 0; ir < mc; ir += gemmMR {
		mr := min(gemmMR, mc-ir)
		panel := dst[ir*kc : ir*kc+gemmMR*kc]
		if tA {
			// op(A)(i, p) = a[p*lda + i]: each step's rows are contiguous.
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+ic+ir : (pc+p)*lda+ic+ir+mr]
				d := panel[p*gemmMR : p*gemmMR+gemmMR]
				for i, v := range src {
					d[i] = alpha * v
				}
				clear(d[mr:])
			}
			continue
		}
		// op(A)(i, p) = a[i*lda + p]: read each row along k.
		for i := 0; i < mr; i++ {
			src := a[(ic+ir+i)*lda+pc : (ic+ir+i)*lda+pc+kc]
			for p, v := range src {
				panel[p*gemmMR+i] = alpha * v
			}
		}
		for i := mr; i < gemmMR; i++ {
			for p := 0; p < kc; p++ {
				panel[p*gemmMR+i] = 0
			}
		}
	}
}

// packB copies rows [pc, pc+kc), columns [jc, jc+nc) of op(B) into panels
// of gemmNR columns, each stored step by step, zero-padding the last panel.
func packB(tB bool, b []float32, ldb, pc, jc, kc, nc int, dst []float32) {
	for jr := 0; jr < nc; jr += gemmNR {
		nr := min(gemmNR, nc-jr)
		panel := dst[jr*kc : jr*kc+gemmNR*kc]
		if !tB {
			// op(B)(p, j) = b[p*ldb + j]: each step's columns are contiguous.
			for p := 0; p < kc; p++ {
				d := panel[p*gemmNR : p*gemmNR+gemmNR]
				copy(d, b[(pc+p)*ldb+jc+jr:(pc+p)*ldb+jc+jr+nr])
				clear(d[nr:])
			}
			continue
		}
		// op(B)(p, j) = b[j*ldb + p]: read each column of op(B) along k.
		for j := 0; j < nr; j++ {
			src := b[(jc+jr+j)*ldb+pc : (jc+jr+j)*ldb+pc+kc]
			for p, v := range src {
				panel[p*gemmNR+j] = v
			}
		}
		for j := nr; j < gemmNR; j++ {
			for p := 0; p < kc; p++ {
				panel[p*gemmNR+j] = 0
			}
		}
	}
}

// checkGemm panics, as BLAS implementations do, when a matrix is shorter
// than its dimensions need: the micro-kernel does not check bounds.
func checkGemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension %d×%d×%d", m, n, k))
	}
	need := func(name string, rows, cols, ld, have int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols || have < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: %s is %d×%d with stride %d but has %d values", name, rows, cols, ld, have))
		}
	}
	if tA {
		need("A", k, m, lda, len(a))
	} else {
		need("A", m, k, lda, len(a))
	}
	if tB {
		need("B", n, k, ldb, len(b))
	} else {
		need("B", k, n, ldb, len(b))
	}
	need("C", m, n, ldc, len(c))
}
