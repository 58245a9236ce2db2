//go:build !dnnl

package kernel

// Without the dnnl tag every convolution runs on reslab's kernels.
const convLibraryName = ""

func convLibraryLabel() string { return "" }

func newLibraryConv(*convGeom) (libraryConv, error) { return nil, nil }
