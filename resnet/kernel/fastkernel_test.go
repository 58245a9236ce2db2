//go:build !openblas

package kernel

import (
	"os"
	"strings"
	"testing"
)

// TestFastKernelIsExercised fails when the CPU has AVX2 and FMA but the
// pure-Go build's products do not run reslab's kernel on it, so a test run
// can never pass without the fast path; it says when the CPU lacks them.
func TestFastKernelIsExercised(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo: cannot tell what the CPU supports")
	}
	flags := " " + string(info) + " "
	if !strings.Contains(flags, " avx2 ") || !strings.Contains(flags, " fma ") {
		t.Skip("this CPU has no AVX2/FMA: the kernel tests run on gonum's product only")
	}
	if !useGoGemm() {
		t.Fatalf("the CPU has AVX2 and FMA but the products run on %s", BLAS())
	}
}
