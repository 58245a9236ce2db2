package simd

import "math"

// AdamConsts are one Adam or AdamW step's constants, as PyTorch's
// torch.optim computes them for the step: the moment decays, the coupled L2
// decay (Adam) or the decoupled shrink (AdamW, 1 − lr·λ), the step size
// lr/(1 − β1ᵗ), 1/√(1 − β2ᵗ) and ε.
type AdamConsts struct {
	Beta1, OneMinusBeta1 float32
	Beta2, OneMinusBeta2 float32
	L2, Shrink           float32
	StepSize, InvSqrtC2  float32
	Eps                  float32
}

// Adam applies one update to the weights w from their gradients g and
// moments m and v (all the same length), zeroes g, and reports whether an
// updated weight is NaN or infinite. It is the optimizer's pass over every
// parameter, memory-bound: eight values at a time with AVX2 where the CPU
// has it, in plain Go elsewhere, with the same roundings on both.
func Adam(w, g, m, v []float32, c *AdamConsts) bool {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	bad := false
	if haveAVX2FMA && n >= 8 {
		vec := n &^ 7
		bad = adamAVX2(&w[0], &g[0], &m[0], &v[0], vec, c)
		w, g, m, v = w[vec:], g[vec:], m[vec:], v[vec:]
	}
	return adamGo(w, g, m, v, c) || bad
}

// adamGo is Adam in plain Go: the tail the vector loop leaves, CPUs
// without AVX2, and the tests' reference.
func adamGo(w, g, m, v []float32, c *AdamConsts) bool {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	nonFinite := false
	for j, gj := range g {
		gj += c.L2 * w[j]
		mj := c.Beta1*m[j] + c.OneMinusBeta1*gj
		vj := c.Beta2*v[j] + c.OneMinusBeta2*gj*gj
		m[j], v[j] = mj, vj
		wj := w[j]*c.Shrink - c.StepSize*mj/(float32(math.Sqrt(float64(vj)))*c.InvSqrtC2+c.Eps)
		w[j] = wj
		g[j] = 0
		nonFinite = nonFinite || wj-wj != 0 // NaN or ±Inf
	}
	return nonFinite
}
