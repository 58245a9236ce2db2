package resnet

import (
	"fmt"

	"github.com/reslab/reslab/resnet/kernel"
)

// topology is a ResNet's layers as shapes: every convolution with its
// channels, kernel, stride and sides, in torchvision's order and under
// torchvision's names. It is the one walk of the architecture: building a
// network and estimating its memory both read it, so they cannot disagree.
type topology struct {
	stem     convShape
	poolSide int // side after the stem's max-pool
	stages   [4][]blockShape
}

// blockShape is one residual block: its branch (two convolutions in a
// BasicBlock, three in a Bottleneck) and its projection shortcut, nil for
// an identity.
type blockShape struct {
	branch []convShape
	down   *convShape
}

// convShape is one bias-free convolution and the BatchNorm after it.
type convShape struct {
	weight, bn              string // "layer1.0.conv1.weight", "layer1.0.bn1"
	in, out, kernel, stride int
	inSide, outSide         int
}

// topologyOf lays out the network cfg describes: ResNet v1.5, where a
// Bottleneck strides in its 3×3 convolution.
func topologyOf(cfg Config) topology {
	conv := func(weight, bn string, in, out, k, stride, side int) convShape {
		return convShape{weight: weight, bn: bn, in: in, out: out, kernel: k, stride: stride,
			inSide: side, outSide: kernel.OutSide(side, k, stride, k/2)}
	}
	var t topology
	t.stem = conv("conv1.weight", "bn1", 3, cfg.Width, 7, 2, cfg.InputSize)
	t.poolSide = kernel.OutSide(t.stem.outSide, 3, 2, 1)
	side, in := t.poolSide, cfg.Width
	for s, count := range stageBlocks[cfg.Depth] {
		width := cfg.Width << s
		for b := 0; b < count; b++ {
			stride := 1
			if b == 0 && s > 0 {
				stride = 2
			}
			name := fmt.Sprintf("layer%d.%d", s+1, b)
			at := func(i int) (string, string) {
				return fmt.Sprintf("%s.conv%d.weight", name, i), fmt.Sprintf("%s.bn%d", name, i)
			}
			var blk blockShape
			out := width
			if bottleneck(cfg.Depth) {
				out = 4 * width
				w1, b1 := at(1)
				w2, b2 := at(2)
				w3, b3 := at(3)
				c2 := conv(w2, b2, width, width, 3, stride, side)
				blk.branch = []convShape{conv(w1, b1, in, width, 1, 1, side), c2, conv(w3, b3, width, out, 1, 1, c2.outSide)}
			} else {
				w1, b1 := at(1)
				w2, b2 := at(2)
				c1 := conv(w1, b1, in, width, 3, stride, side)
				blk.branch = []convShape{c1, conv(w2, b2, width, width, 3, 1, c1.outSide)}
			}
			if stride != 1 || in != out {
				d := conv(name+".downsample.0.weight", name+".downsample.1", in, out, 1, stride, side)
				blk.down = &d
			}
			t.stages[s] = append(t.stages[s], blk)
			side, in = blk.branch[len(blk.branch)-1].outSide, out
		}
	}
	return t
}

// last is the backbone's final feature map: its channels and side (the
// max-pool's, for a depth reslab does not build, which has no blocks).
func (t topology) last() (channels, side int) {
	if len(t.stages[3]) == 0 {
		return t.stem.out, t.poolSide
	}
	blk := t.stages[3][len(t.stages[3])-1]
	c := blk.branch[len(blk.branch)-1]
	return c.out, c.outSide
}
