package resnet

import (
	"fmt"
	"math/rand/v2"

	"github.com/reslab/reslab/resnet/kernel"
	"gorgonia.org/tensor"
)

// conv is a bias-free convolution, as every convolution of a ResNet is.
type conv struct {
	w              *Param // (out, in, k, k)
	kernel, stride int
	pad            int
	// onImages marks the stem, whose input is the images: no gradient with
	// respect to its input is built.
	onImages bool
}

// block is one residual block: BasicBlock uses two convolutions, Bottleneck
// three. down is the projection shortcut (1×1 conv + BN), nil for identity.
type block struct {
	convs    []conv
	bns      []*bnLayer
	downConv *conv
	downBN   *bnLayer
}

// bnLayer is one BatchNorm layer: its running statistics (kept by the
// kernel's op) and its learnable scale γ and shift β.
type bnLayer struct {
	*kernel.BatchNorm
	gamma, beta *Param
}

func newBNLayer(name string, channels int) *bnLayer {
	bn := &bnLayer{
		BatchNorm: kernel.NewBatchNorm(name, channels),
		gamma:     noDecay(newParam(name+".weight", tensor.Shape{channels})),
		beta:      noDecay(newParam(name+".bias", tensor.Shape{channels})),
	}
	for i := range bn.gamma.Data() {
		bn.gamma.Data()[i] = 1
	}
	return bn
}

// linear is one fully connected head layer.
type linear struct {
	w *Param // (in, out), transposed on disk
	b *Param // (out)
}

// network is the model's structure: which tensors feed which layer. Graphs
// are built from it; it holds no graph itself.
type network struct {
	stem    conv
	stemBN  *bnLayer
	stages  [4][]block
	head    []linear
	bns     []*bnLayer
	params  []*Param // every learnable tensor, backbone first, in torchvision order
	backLen int      // params[:backLen] belong to the backbone
}

// newNetwork lays out a ResNet exactly as torchvision does (v1.5: a
// Bottleneck strides in its 3×3 convolution) and initialises it as
// torchvision does: He normal (fan out) convolutions, BatchNorm γ=1 β=0,
// PyTorch's default uniform for the head.
func newNetwork(cfg Config, rng *rand.Rand) *network {
	n := &network{}
	addConv := func(c convShape) conv {
		p := newParam(c.weight, tensor.Shape{c.out, c.in, c.kernel, c.kernel})
		heNormal(p.Data(), c.out*c.kernel*c.kernel, rng)
		n.params = append(n.params, p)
		return conv{w: p, kernel: c.kernel, stride: c.stride, pad: c.kernel / 2}
	}
	addBN := func(name string, ch int) *bnLayer {
		bn := newBNLayer(name, ch)
		n.bns = append(n.bns, bn)
		n.params = append(n.params, bn.gamma, bn.beta)
		return bn
	}
	t := topologyOf(cfg)
	n.stem = addConv(t.stem)
	n.stem.onImages = true
	n.stemBN = addBN(t.stem.bn, t.stem.out)
	for s, stage := range t.stages {
		for _, shape := range stage {
			var blk block
			for _, c := range shape.branch {
				blk.convs = append(blk.convs, addConv(c))
				blk.bns = append(blk.bns, addBN(c.bn, c.out))
			}
			if d := shape.down; d != nil {
				dc := addConv(*d)
				blk.downConv = &dc
				blk.downBN = addBN(d.bn, d.out)
			}
			n.stages[s] = append(n.stages[s], blk)
		}
	}
	n.backLen = len(n.params)
	for _, p := range n.params {
		p.backbone = true
	}

	in := cfg.Features()
	sizes := append(append([]int(nil), cfg.Hidden...), cfg.Classes)
	for i, out := range sizes {
		prefix := fmt.Sprintf("head.%d", i)
		if len(cfg.Hidden) == 0 {
			prefix = "fc"
		}
		l := linear{w: newParam(prefix+".weight", tensor.Shape{in, out}), b: noDecay(newParam(prefix+".bias", tensor.Shape{out}))}
		l.w.transposed = true
		uniformFanIn(l.w.Data(), in, rng)
		uniformFanIn(l.b.Data(), in, rng)
		n.head = append(n.head, l)
		n.params = append(n.params, l.w, l.b)
		in = out
	}
	return n
}

// headParams are the learnable tensors of the head.
func (n *network) headParams() []*Param { return n.params[n.backLen:] }
