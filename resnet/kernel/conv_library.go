package kernel

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/reslab/reslab/resnet/kernel/simd"
)

// convPass is one of a convolution's three computations.
type convPass int

const (
	passForward         convPass = iota // x, w → y
	passBackwardData                    // w, ∂y → ∂x
	passBackwardWeights                 // x, ∂y → ∂w
)

// libraryConv is one convolution's passes on a library instead of reslab's
// kernels: oneDNN in the dnnl build (conv_dnnl.go). run overwrites out.
type libraryConv interface {
	run(p convPass, a, b, out []float32) error
}

// errLibraryLacksShapes is a library's answer for a convolution it has no
// implementation of; that convolution then runs on reslab's kernels.
var errLibraryLacksShapes = errors.New("the convolution library has no implementation for these shapes")

// reslabConvolutions names reslab's own convolutions (im2col and the
// matrix product in use) among Convolutions.
const reslabConvolutions = "reslab"

// libraryConvsOn is whether convolutions run on the build's library (the
// dnnl build starts with it on): a process-wide switch, like the matrix
// product, for benchmarks and the tests that compare the two.
var libraryConvsOn atomic.Bool

func init() { libraryConvsOn.Store(convLibraryName != "") }

// Convolutions names the convolution implementations of this build, the
// default first: "dnnl" (oneDNN) then "reslab" in the dnnl build, "reslab"
// alone otherwise.
func Convolutions() []string {
	if convLibraryName != "" {
		return []string{convLibraryName, reslabConvolutions}
	}
	return []string{reslabConvolutions}
}

// Convolution is the name of the convolutions in use, one of Convolutions.
func Convolution() string {
	if libraryConvsOn.Load() {
		return convLibraryName
	}
	return reslabConvolutions
}

// ConvolutionLabel describes the convolutions in use for people and
// benchmark records: "oneDNN 2.6.3", or reslab's, which run on the matrix
// product BLAS describes.
func ConvolutionLabel() string {
	if libraryConvsOn.Load() {
		return convLibraryLabel()
	}
	// forwardPadded and Winograd run on reslab's kernels only. The padded
	// input sums as im2col does, so Arithmetic does not tell them apart;
	// Winograd's sums are its own (Arithmetic names them).
	ways := "im2col"
	if activeKernel.Load() != nil {
		switch {
		case paddedInputConvs && winogradConvs:
			ways = "im2col, a padded input or Winograd F(2×2, 3×3)"
		case paddedInputConvs:
			ways = "im2col or a padded input"
		case winogradConvs:
			ways = "im2col or Winograd F(2×2, 3×3)"
		}
	}
	return "reslab (" + ways + ", and the matrix product)"
}

// Arithmetic names the convolutions, the matrix product and the number of
// workers in use, such as "reslab convolutions, reslab AVX-512 matrix
// products (pure Go, gonum; k in even blocks), 2 workers". Training is
// reproducible bit for bit only under the same arithmetic: each way sums
// in its own order, and the weight gradients' partial sums follow the
// workers, so a run resumed under another one goes on correctly but not
// exactly as it would have uninterrupted.
//
// Under reslab's own kernels it also names the order their products sum
// in (simd.SumOrder), which a build may change while the kernels keep
// their names: a run started before such a change and resumed after it is
// then told apart too. For the same reason it names the 3×3 convolutions
// computed by Winograd's F(2×2, 3×3), whose sums are not im2col's.
func Arithmetic() string {
	conv := "reslab convolutions"
	if libraryConvsOn.Load() {
		conv = convLibraryLabel() + " convolutions"
	}
	products := BLAS()
	if mk := activeKernel.Load(); mk != nil {
		products = kernelLabel(mk, buildLabel+"; "+simd.SumOrder)
		if !libraryConvsOn.Load() && winogradConvs {
			conv += " (3×3 by Winograd F(2×2, 3×3) where it pays)"
		}
	}
	return fmt.Sprintf("%s, %s, %d workers", conv, products, runtime.GOMAXPROCS(0))
}

// UseConvolutions runs every convolution whose first pass comes after it on
// the named one of Convolutions ("" is the default): each convolution
// chooses once, at its first pass. Like UseProduct it is for `reslab
// bench` and tests, never to be flipped beside training.
func UseConvolutions(name string) error {
	switch {
	case name == "":
		libraryConvsOn.Store(convLibraryName != "")
	case name == reslabConvolutions:
		libraryConvsOn.Store(false)
	case name == convLibraryName:
		libraryConvsOn.Store(true)
	case name == "dnnl":
		return fmt.Errorf("convolutions %q: oneDNN is in the dnnl build (go build -tags dnnl, with libdnnl-dev); this build has %s", name, strings.Join(Convolutions(), ", "))
	default:
		return fmt.Errorf("convolutions %q: this build has %s", name, strings.Join(Convolutions(), ", "))
	}
	return nil
}

// library is the convolution's passes on the build's library, created on
// first use, or nil when convolutions run on reslab's kernels.
func (g *convGeom) library() (libraryConv, error) {
	g.libMu.Lock()
	defer g.libMu.Unlock()
	if !g.libChosen {
		g.libChosen = true
		if libraryConvsOn.Load() {
			// A library that cannot describe the convolution says so on
			// every run, not only the first.
			g.lib, g.libErr = newLibraryConv(g)
		}
	}
	return g.lib, g.libErr
}

// dropLibrary moves the convolution to reslab's kernels for good.
func (g *convGeom) dropLibrary() {
	g.libMu.Lock()
	g.lib = nil
	g.libMu.Unlock()
}

// run runs one pass, on the library when one is in use and implements the
// shapes, else on reslab's kernels; epi (nil: none) follows the forward
// pass.
func (g *convGeom) run(p convPass, a, b, out []float32, epi *convEpilogue) error {
	lib, err := g.library()
	if err != nil {
		return err
	}
	if lib != nil {
		err := lib.run(p, a, b, out)
		if err == nil {
			if epi != nil {
				g.applyEpilogue(out, epi)
			}
			return nil
		}
		if !errors.Is(err, errLibraryLacksShapes) {
			return err
		}
		g.dropLibrary()
	}
	switch p {
	case passForward:
		g.forwardWith(a, b, out, epi)
	case passBackwardData:
		g.backwardData(a, b, out)
	case passBackwardWeights:
		g.backwardWeights(a, b, out)
	}
	return nil
}

// applyEpilogue runs epi over the whole output y, one image per task.
func (g *convGeom) applyEpilogue(y []float32, epi *convEpilogue) {
	outSize := g.cout * g.p
	runTasks(g.n, runtime.GOMAXPROCS(0), func(_, n int) {
		epi.apply(g, y, y[n*outSize:], g.p, n, 0, g.p)
	})
}
