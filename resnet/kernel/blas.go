package kernel

import (
	"runtime"
	"sync"
)

var blasOnce sync.Once

// UseBLAS installs this build's matrix products (reslab's kernel or gonum in
// the pure-Go build, OpenBLAS with -tags openblas) as gorgonia's
// process-wide BLAS, before any graph runs. It is idempotent: the binary
// calls it first thing, and resnet.NewModel calls it for library users and
// tests, so no import has a side effect.
func UseBLAS() { blasOnce.Do(installBLAS) }

// parallelSgemm is sgemm split into blocks of C's columns (or rows, when C
// is taller than wide) over the cores. The convolutions parallelise over
// their own tasks and call sgemm directly; this is for gorgonia's own
// products (the head's fully connected layers, which with a flatten head
// are 100 352 × 512), which it otherwise runs on one core. Small products
// stay on one goroutine.
func parallelSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || m*n*k < 1<<22 || (m < 32 && n < 32) {
		sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if n >= m {
		chunk := roundUp(ceilDiv(n, workers), 16)
		runTasks(ceilDiv(n, chunk), workers, func(_, t int) {
			j0 := t * chunk
			j1 := min(n, j0+chunk)
			bOff := j0 // B's columns j0… start at column j0, or row j0 of Bᵀ
			if tB {
				bOff = j0 * ldb
			}
			sgemm(tA, tB, m, j1-j0, k, alpha, a, lda, b[bOff:], ldb, beta, c[j0:], ldc)
		})
		return
	}
	chunk := ceilDiv(m, workers)
	runTasks(ceilDiv(m, chunk), workers, func(_, t int) {
		i0 := t * chunk
		i1 := min(m, i0+chunk)
		aOff := i0 * lda // A's rows i0… start at row i0, or column i0 of Aᵀ
		if tA {
			aOff = i0
		}
		sgemm(tA, tB, i1-i0, n, k, alpha, a[aOff:], lda, b, ldb, beta, c[i0*ldc:], ldc)
	})
}
