package simd

import "math"

// Sums returns Σx and Σx² in float64: BatchNorm's batch statistics in one
// pass. A float32 widens and squares exactly in float64, so only the
// additions round; they run eight values at a time with AVX2 (four float64
// lanes twice), in a fixed order, so the result is the same on every run.
// The scalar loop it replaces waited on one addition at a time.
func Sums(x []float32) (sum, sumSq float64) {
	i := 0
	if haveAVX2FMA && len(x) >= 8 {
		i = len(x) &^ 7
		sum, sumSq = sumsAVX2(&x[0], i)
	}
	for _, v := range x[i:] {
		d := float64(v)
		sum += d
		sumSq += d * d
	}
	return sum, sumSq
}

// DotSums returns Σg and Σg·x in float64 over len(x) values, g taken as 0
// where y (when not nil) is +0: the two sums of BatchNorm's backward pass,
// the gradient masked by the ReLU that followed it (read from its output,
// bit for bit as MaskedByReLU).
func DotSums(g, x, y []float32) (sumG, sumGX float64) {
	n := len(x)
	g = g[:n]
	if y != nil {
		y = y[:n]
	}
	i := 0
	if haveAVX2FMA && n >= 8 {
		i = n &^ 7
		var yp *float32
		if y != nil {
			yp = &y[0]
		}
		sumG, sumGX = dotSumsAVX2(&g[0], &x[0], yp, i)
	}
	for j := i; j < n; j++ {
		gj := g[j]
		if y != nil {
			gj = MaskedByReLU(gj, y[j])
		}
		d := float64(gj)
		sumG += d
		sumGX += d * float64(x[j])
	}
	return sumG, sumGX
}

// MaskedByReLU is g where y ≠ +0 and 0 where y is +0, without a branch:
// the gradient through a ReLU read from its output (half of a ReLU's
// outputs are zero in no predictable pattern).
func MaskedByReLU(g, y float32) float32 {
	keep := -min(math.Float32bits(y), 1) // all ones where y ≠ +0, else 0
	return math.Float32frombits(math.Float32bits(g) & keep)
}

// Linear3 writes dst = a·g + b·x + d over len(x) values, g taken as 0 where
// y (when not nil) is +0: BatchNorm's input gradient once its two sums are
// known, through the ReLU that followed it. Eight values at a time with
// AVX2, rounding as the Go loop does.
func Linear3(dst, g, x, y []float32, a, b, d float32) {
	n := len(x)
	dst, g = dst[:n], g[:n]
	if y != nil {
		y = y[:n]
	}
	i := 0
	if haveAVX2FMA && n >= 8 {
		i = n &^ 7
		var yp *float32
		if y != nil {
			yp = &y[0]
		}
		linear3AVX2(&dst[0], &g[0], &x[0], yp, i, a, b, d)
	}
	for j := i; j < n; j++ {
		gj := g[j]
		if y != nil {
			gj = MaskedByReLU(gj, y[j])
		}
		dst[j] = a*gj + b*x[j] + d
	}
}
