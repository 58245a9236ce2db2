package simd

// Affine writes dst = scale·src + shift (+ res, when res is not nil), then
// max(·, 0) when relu, over len(src) values: BatchNorm applied with fixed
// statistics, the shortcut added and the ReLU, as the inference
// convolution's epilogue and BatchNorm's forward pass run it. Eight values
// at a time with AVX2, rounding as the Go loop does.
func Affine(dst, src, res []float32, scale, shift float32, relu bool) {
	n := len(src)
	dst = dst[:n]
	if res != nil {
		res = res[:n]
	}
	i := 0
	if haveAVX2FMA && n >= 8 {
		i = n &^ 7
		var r *float32
		if res != nil {
			r = &res[0]
		}
		affineAVX2(&dst[0], &src[0], r, i, scale, shift, relu)
	}
	var tail []float32
	if res != nil {
		tail = res[i:]
	}
	affineGo(dst[i:], src[i:], tail, scale, shift, relu)
}

// affineGo is Affine in plain Go: the tail, CPUs without AVX2 and the
// tests' reference. The four variants are separate loops so the inner loop
// carries no branches but the ReLU's.
func affineGo(dst, src, res []float32, scale, shift float32, relu bool) {
	dst = dst[:len(src)]
	switch {
	case res == nil && !relu:
		for j, v := range src {
			dst[j] = v*scale + shift
		}
	case res == nil:
		for j, v := range src {
			dst[j] = max(v*scale+shift, 0)
		}
	case !relu:
		res = res[:len(src)]
		for j, v := range src {
			dst[j] = v*scale + shift + res[j]
		}
	default:
		res = res[:len(src)]
		for j, v := range src {
			dst[j] = max(v*scale+shift+res[j], 0)
		}
	}
}
