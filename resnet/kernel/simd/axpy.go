package simd

// Axpy adds alpha·x onto y (BLAS saxpy), over len(x) values; y must be at
// least as long. The kernels run it where a gradient or a partial sum is
// added onto another (col2im, the micro-batch gradients, the weight
// gradients' per-worker sums): Go does not vectorise such loops, and an
// FMA loop is memory-bound where the scalar one is not.
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		panic("simd.Axpy: y is shorter than x")
	}
	if len(x) == 0 {
		return
	}
	if haveAVX2FMA {
		axpyAVX2(alpha, &x[0], &y[0], len(x))
		return
	}
	axpyGo(alpha, x, y)
}

// axpyGo is Axpy in plain Go, for CPUs without AVX2 and FMA and as the
// tests' reference.
func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	if alpha == 1 {
		for i, v := range x {
			y[i] += v
		}
		return
	}
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Scale writes alpha·x into y over len(x) values (a copy when alpha is 1);
// y must be at least as long.
func Scale(alpha float32, x, y []float32) {
	y = y[:len(x)]
	if alpha == 1 {
		copy(y, x)
		return
	}
	for i, v := range x {
		y[i] = alpha * v
	}
}
