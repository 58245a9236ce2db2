//go:build openblas

package engine

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	G "gorgonia.org/gorgonia"
	"gonum.org/v1/netlib/blas/netlib"
)

// init routes gorgonia's and the tensor package's matrix products to
// OpenBLAS (Debian's libopenblas-dev) once, before any graph exists:
// gorgonia.Use sets a process-wide BLAS.
func init() { G.Use(netlib.Implementation{}) }

// BLAS names the matrix-product library in use.
func BLAS() string { return "openblas" }
