package resnet

import (
	"math/rand/v2"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradResidualBlock checks a whole BasicBlock with a projection shortcut
// (conv, training-mode BatchNorm, ReLU, add), the unit every ResNet repeats.
func TestGradResidualBlock(t *testing.T) {
	cfg := Config{Depth: 18, Width: 2, InputSize: 32, Classes: 2, Pooling: PoolAvg, Mode: ModeScratch}
	net := newNetwork(cfg, rand.New(rand.NewPCG(5, 6)))
	blk := net.stages[1][0] // stride 2, 2→4 channels, projection shortcut
	if blk.downConv == nil {
		t.Fatal("expected a projection shortcut in layer2.0")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	shape := tensor.Shape{2, 2, 4, 4}
	gradcheck.Check(t, "residual block", shape, gradcheck.RandomValues(shape.TotalSize(), rng), func(g *G.ExprGraph, x *G.Node) (*G.Node, error) {
		b := &graphBuilder{g: g, cfg: cfg, training: true, nodes: map[*Param]*G.Node{}}
		out, err := b.block(blk, x)
		if err != nil {
			return nil, err
		}
		return gradcheck.WeightedSum(g, out, rand.New(rand.NewPCG(3, 4)))
	}, 1e-3)
}
