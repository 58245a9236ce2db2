//go:build dnnl

package kernel

import "testing"

// TestDNNLBuildRunsConvolutionsOnOneDNN: in the dnnl build a convolution's
// passes really run on oneDNN (not on reslab's kernels after a quiet
// fallback), so the tests that compare the "dnnl convolutions" product
// with gorgonia test oneDNN.
func TestDNNLBuildRunsConvolutionsOnOneDNN(t *testing.T) {
	defer UseConvolutions("")
	if err := UseConvolutions(convLibraryName); err != nil {
		t.Fatal(err)
	}
	for _, c := range convCases {
		g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
		x, w := c.values(1)
		y, dx, dw := make([]float32, c.n*c.cout*g.p), make([]float32, len(x)), make([]float32, len(w))
		for _, run := range []struct {
			p         convPass
			a, b, out []float32
		}{{passForward, x, w, y}, {passBackwardData, w, y, dx}, {passBackwardWeights, x, y, dw}} {
			if err := g.run(run.p, run.a, run.b, run.out, nil); err != nil {
				t.Fatalf("%v: %v", c, err)
			}
		}
		lib, err := g.library()
		if err != nil || lib == nil {
			t.Errorf("%v: fell back to reslab's kernels (%v)", c, err)
			continue
		}
		for p, pass := range dnnlPasses {
			if impl := lib.(dnnlConv).c.Impl(pass); impl == "" {
				t.Errorf("%v: pass %d has no oneDNN implementation", c, p)
			}
		}
	}
}
