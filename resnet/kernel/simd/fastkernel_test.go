package simd

import (
	"os"
	"strings"
	"testing"
)

// TestFastKernelIsExercised fails when the CPU has AVX-512 (or AVX2 and FMA)
// but the kernel for it is not the first of Kernels, the one the pure-Go
// build runs by default, so a test run can never pass without the fastest
// path the machine supports; it says which kernels the CPU lacks.
func TestFastKernelIsExercised(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo: cannot tell what the CPU supports")
	}
	flags := " " + strings.Join(strings.Fields(string(info)), " ") + " "
	has := func(f string) bool { return strings.Contains(flags, " "+f+" ") }
	want := ""
	switch {
	case has("avx512f"):
		want = "avx512"
	case has("avx2") && has("fma"):
		want = "avx2"
		t.Log("this CPU has no AVX-512: the AVX-512 kernel's tests skip")
	default:
		t.Skip("this CPU has neither AVX-512 nor AVX2/FMA: the kernel tests run on gonum's product only")
	}
	if len(kernels) == 0 || kernels[0].name != want {
		t.Fatalf("the CPU supports the %s kernel but the kernels are %v", want, names(kernels))
	}
}
