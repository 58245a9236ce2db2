package kernel

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/reslab/reslab/resnet/kernel/simd"
	"gonum.org/v1/gonum/blas"
)

var blasOnce sync.Once

// UseBLAS installs this build's matrix products (reslab's kernel or gonum in
// the pure-Go build, OpenBLAS with -tags openblas) as gorgonia's
// process-wide BLAS, before any graph runs. It is idempotent: the binary
// calls it first thing, and resnet.NewModel calls it for library users and
// tests, so no import has a side effect.
func UseBLAS() { blasOnce.Do(installBLAS) }

// activeKernel is the reslab micro-kernel every float32 product runs on, or
// nil for the build's library (gonum's Sgemm in the pure-Go build, OpenBLAS
// with -tags openblas). The pure-Go build starts on the fastest kernel the
// CPU has, the OpenBLAS build on OpenBLAS; UseProduct changes it.
var activeKernel atomic.Pointer[simd.Kernel]

func init() {
	if ks := simd.Kernels(); len(ks) > 0 && !libraryFirst {
		activeKernel.Store(ks[0])
	}
}

// Products names the matrix products this build can run on this CPU, the
// default first: in the pure-Go build reslab's micro-kernels the CPU
// supports (avx512, avx2), fastest first, then gonum; in the OpenBLAS build
// openblas, then the micro-kernels.
func Products() []string {
	var names []string
	for _, mk := range simd.Kernels() {
		names = append(names, mk.Name())
	}
	if libraryFirst {
		return append([]string{libraryName}, names...)
	}
	return append(names, libraryName)
}

// Product is the name of the matrix product in use, one of Products.
func Product() string {
	if mk := activeKernel.Load(); mk != nil {
		return mk.Name()
	}
	return libraryName
}

// BLAS describes the matrix product in use for people and benchmark
// records.
func BLAS() string {
	if mk := activeKernel.Load(); mk != nil {
		return kernelLabel(mk, buildLabel)
	}
	return libraryLabel
}

// kernelLabel names reslab's kernel mk with the details in parentheses.
func kernelLabel(mk *simd.Kernel, details string) string {
	return "reslab " + mk.Label() + " matrix products (" + details + ")"
}

// UseProduct runs every float32 product on the named one of Products (""
// is the default): a process-wide switch for `reslab bench --gemm` and the
// tests that compare the products, never to be flipped beside training.
func UseProduct(name string) error {
	if name == "" {
		name = Products()[0]
	}
	if name == libraryName {
		activeKernel.Store(nil)
		return nil
	}
	for _, mk := range simd.Kernels() {
		if mk.Name() == name {
			activeKernel.Store(mk)
			return nil
		}
	}
	return fmt.Errorf("matrix product %q: this build on this CPU has %s", name, strings.Join(Products(), ", "))
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, op
// transposing when tA or tB is set; it is the one matrix product the
// convolution kernels use.
func sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if mk := activeKernel.Load(); mk != nil {
		mk.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	librarySgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// sharedOperand is the left operand of many products, a convolution's
// weights, which every task of a layer multiplies: packed once for the
// micro-kernel in use, or passed as it is to the library's product.
type sharedOperand struct {
	packed *simd.PackedA // nil: the library's product, or A was not packed
	tA     bool
	m, k   int
	a      []float32
	lda    int
}

// shareOperand packs op(A) (m×k) once when a reslab kernel runs the
// products, more than one product will use it, and they would pack it
// (some, with B at most maxCols wide, read it in place), into a pooled
// buffer held by *scratch (return it with putScratch).
func shareOperand(tA bool, m, k int, a []float32, lda int, uses, maxCols int, scratch *[]float32) sharedOperand {
	s := sharedOperand{tA: tA, m: m, k: k, a: a, lda: lda}
	if mk := activeKernel.Load(); mk != nil && uses > 1 && !mk.ReadsAInPlace(tA, maxCols) {
		workers := runtime.GOMAXPROCS(0)
		p := mk.PackA(tA, m, k, 1, a, lda, scratchBuf(scratch, mk.PackedSize(m, k)), func(n int, body func(int)) {
			runTasks(n, workers, func(_, i int) { body(i) })
		})
		s.packed = &p
	}
	return s
}

// sgemm is C = op(A)·op(B) + beta·C with the shared A.
func (s *sharedOperand) sgemm(tB bool, n int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if s.packed != nil {
		s.packed.Sgemm(tB, n, b, ldb, beta, c, ldc)
		return
	}
	sgemm(s.tA, tB, s.m, n, s.k, 1, s.a, s.lda, b, ldb, beta, c, ldc)
}

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
