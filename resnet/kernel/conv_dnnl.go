//go:build dnnl

package kernel

import (
	"errors"
	"fmt"

	"github.com/reslab/reslab/resnet/kernel/dnnl"
)

// The dnnl build runs convolutions on oneDNN (Debian's libdnnl-dev) and
// everything else on reslab's kernels; UseConvolutions("reslab") switches
// back for comparisons.
const convLibraryName = "dnnl"

func convLibraryLabel() string { return "oneDNN " + dnnl.Version() + " (" + dnnl.ISA() + ")" }

type dnnlConv struct{ c *dnnl.Conv }

func newLibraryConv(g *convGeom) (libraryConv, error) {
	c, err := dnnl.NewConv(g.n, g.cin, g.h, g.w, g.cout, g.k, g.stride, g.pad)
	if err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	return dnnlConv{c}, nil
}

var dnnlPasses = [...]dnnl.Pass{
	passForward:         dnnl.Forward,
	passBackwardData:    dnnl.BackwardData,
	passBackwardWeights: dnnl.BackwardWeights,
}

func (d dnnlConv) run(p convPass, a, b, out []float32) error {
	err := d.c.Run(dnnlPasses[p], a, b, out)
	var e *dnnl.Error
	if errors.As(err, &e) && e.Status == dnnl.Unimplemented {
		return fmt.Errorf("%w: %w", errLibraryLacksShapes, err)
	}
	return err
}
