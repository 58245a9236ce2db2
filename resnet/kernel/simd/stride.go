package simd

// Strided copies every stride-th value of src, starting with the first,
// into dst: dst[i] = src[i·stride] for i < len(dst). src must hold
// (len(dst)−1)·stride+1 values. It is im2col's inner loop for strided
// convolutions (the stem's 7×7 with stride 2, the downsampling layers),
// which copy one output row at a time; a stride of 2 runs eight values at a
// time with AVX2.
func Strided(dst, src []float32, stride int) {
	n := len(dst)
	if n == 0 {
		return
	}
	_ = src[(n-1)*stride]
	i := 0
	if stride == 2 && haveAVX2FMA {
		// The vector loop reads 16 values per 8 written: stop where it
		// would read past src.
		vec := min(n, len(src)/2) &^ 7
		if vec > 0 {
			evensAVX2(&dst[0], &src[0], vec)
			i = vec
		}
	}
	for ; i < n; i++ {
		dst[i] = src[i*stride]
	}
}

// AddStrided adds src onto every stride-th value of dst, starting with the
// first: dst[i·stride] += src[i] for i < len(src). dst must hold
// (len(src)−1)·stride+1 values. It is col2im's inner loop for strided
// convolutions; a stride of 2 runs eight values at a time with AVX2 (the
// values in between only have zero added).
func AddStrided(dst, src []float32, stride int) {
	n := len(src)
	if n == 0 {
		return
	}
	_ = dst[(n-1)*stride]
	i := 0
	if stride == 2 && haveAVX2FMA {
		// The vector loop touches 16 values of dst per 8 of src.
		vec := min(n, len(dst)/2) &^ 7
		if vec > 0 {
			addEvensAVX2(&dst[0], &src[0], vec)
			i = vec
		}
	}
	for ; i < n; i++ {
		dst[i*stride] += src[i]
	}
}
