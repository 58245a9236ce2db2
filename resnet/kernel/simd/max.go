package simd

// Max3 writes dst[i] = the largest of a[i], b[i] and c[i] over len(a)
// values: the vertical step of a 3×3 max-pooling, whose windows then need
// only a maximum over three neighbours of one row. Eight values at a time
// with AVX. Zeros of either sign count as equal (either may be written),
// and a NaN input makes the result unspecified: max-pooling's maximum is a
// value, and its gradient finds where it came from by itself.
func Max3(dst, a, b, c []float32) {
	n := len(a)
	dst, b, c = dst[:n], b[:n], c[:n]
	i := 0
	if haveAVX2FMA && n >= 8 {
		i = n &^ 7
		max3AVX(&dst[0], &a[0], &b[0], &c[0], i)
	}
	max3Go(dst[i:], a[i:], b[i:], c[i:])
}

// max3Go is Max3 in plain Go: the tail, other CPUs and the tests' twin.
func max3Go(dst, a, b, c []float32) {
	dst, b, c = dst[:len(a)], b[:len(a)], c[:len(a)]
	for i, v := range a {
		m := v
		if b[i] > m {
			m = b[i]
		}
		if c[i] > m {
			m = c[i]
		}
		dst[i] = m
	}
}
