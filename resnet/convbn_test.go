package resnet

import (
	"math/rand/v2"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConvBNEvalMatchesSeparateOps runs whole inference backbones (basic
// and bottleneck blocks, identity and projection shortcuts, images grouped
// per task or not) built with the fused convolution+BatchNorm+epilogue op
// and with separate convolution, BatchNorm and ReLU ops, on randomised
// running statistics, and wants the same features.
func TestConvBNEvalMatchesSeparateOps(t *testing.T) {
	for _, tc := range []struct {
		depth, width, size, batch int
	}{{18, 8, 32, 3}, {50, 4, 64, 2}, {34, 4, 96, 1}} {
		cfg := Config{Depth: tc.depth, Width: tc.width, InputSize: tc.size, Classes: 3, Pooling: PoolAvg, Mode: ModeScratch}
		rng := rand.New(rand.NewPCG(uint64(tc.depth), 7))
		net := newNetwork(cfg, rng)
		for _, bn := range net.bns {
			for i := range bn.RunningMean {
				bn.RunningMean[i] = float32(rng.NormFloat64() * 0.2)
				bn.RunningVar[i] = float32(0.5 + rng.Float64())
				bn.gamma.Data()[i] = float32(0.5 + rng.Float64())
				bn.beta.Data()[i] = float32(rng.NormFloat64() * 0.2)
			}
		}
		images := gradcheck.RandomValues(tc.batch*3*tc.size*tc.size, rng)
		features := func(unfused bool) []float32 {
			g := G.NewGraph()
			b := &graphBuilder{g: g, cfg: cfg, nodes: map[*Param]*G.Node{}, unfused: unfused}
			x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(tc.batch, 3, tc.size, tc.size), G.WithName("images"),
				G.WithValue(tensor.New(tensor.WithShape(tc.batch, 3, tc.size, tc.size), tensor.WithBacking(images))))
			out, err := b.backbone(net, x)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g, G.EvalMode())
			defer vm.Close()
			for run := 0; run < 2; run++ { // the second run reuses the outputs
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
			}
			return append([]float32(nil), out.Value().Data().([]float32)...)
		}
		fused, separate := features(false), features(true)
		for i := range fused {
			if fused[i] != separate[i] {
				t.Fatalf("resnet%d %dpx batch %d: feature %d fused %v, separate ops %v", tc.depth, tc.size, tc.batch, i, fused[i], separate[i])
			}
		}
	}
}
