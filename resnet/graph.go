package resnet

import (
	"fmt"
	"math/rand/v2"

	"github.com/reslab/reslab/resnet/kernel"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// graphKind names the few graphs a model builds. Composing them covers every
// mode: scratch and finetune train the full graph; frozen training runs the
// features graph (inference, no gradients) and trains the head graph on its
// output; evaluation runs features then the head in eval mode.
type graphKind int

const (
	graphTrain     graphKind = iota // backbone (BN batch statistics) + head + loss, with gradients
	graphFeatures                   // backbone in inference mode, pooled; no gradients
	graphHeadTrain                  // head with dropout + loss, with gradients
	graphHeadEval                   // head without dropout
	// graphRecalibrate is the backbone with BatchNorm on batch statistics,
	// without gradients: Recalibrate's pass.
	graphRecalibrate
)

func (k graphKind) String() string {
	return [...]string{"train", "features", "head-train", "head-eval", "recalibrate"}[k]
}

// compiled is one built graph and the tape machine that runs it.
type compiled struct {
	kind   graphKind
	batch  int
	size   int // input side the graph was built for
	g      *G.ExprGraph
	vm     G.VM
	input  *G.Node // images (N,3,S,S) or features (N,F)
	target *G.Node // one-hot labels (N,K); training graphs only
	output *G.Node // logits (N,K) or features (N,F)
	loss   *G.Node
	params []*Param // parameters that receive gradients
	grads  G.Nodes  // their gradient nodes, in the same order
	// buffers is how the graph's ops share output memory.
	buffers *kernel.BufferPlan
}

func (c *compiled) close() {
	if c != nil && c.vm != nil {
		c.vm.Close()
	}
}

// run binds the inputs, runs the tape once and leaves the values readable
// until the next run.
func (c *compiled) run(input []float32, target []float32) error {
	if err := G.Let(c.input, tensor.New(tensor.WithShape(c.input.Shape().Clone()...), tensor.WithBacking(input))); err != nil {
		return fmt.Errorf("binding %s input: %w", c.kind, err)
	}
	if c.target != nil {
		if err := G.Let(c.target, tensor.New(tensor.WithShape(c.target.Shape().Clone()...), tensor.WithBacking(target))); err != nil {
			return fmt.Errorf("binding %s targets: %w", c.kind, err)
		}
	}
	c.vm.Reset()
	if err := c.vm.RunAll(); err != nil {
		return fmt.Errorf("running %s graph: %w", c.kind, err)
	}
	return nil
}

// graphBuilder adds one network's layers to one graph.
type graphBuilder struct {
	g        *G.ExprGraph
	cfg      Config
	training bool // BatchNorm batch statistics and dropout
	rng      *rand.Rand
	nodes    map[*Param]*G.Node
	// unfused builds inference convolutions, BatchNorm and epilogue as
	// separate ops, the reference the fused ones are tested against.
	unfused bool
}

func (b *graphBuilder) param(p *Param) *G.Node {
	if n, ok := b.nodes[p]; ok {
		return n
	}
	n := G.NewTensor(b.g, tensor.Float32, p.Shape().Dims(), G.WithShape(p.Shape().Clone()...), G.WithName(p.Name), G.WithValue(p.data))
	b.nodes[p] = n
	return n
}

// conv uses reslab's convolution (resnet/kernel). The stem's input is the
// images, which need no gradient, so its input gradient is not built.
func (b *graphBuilder) conv(x *G.Node, c conv) (*G.Node, error) {
	convolve := kernel.Conv2D
	if c.onImages {
		convolve = kernel.Conv2DOfData
	}
	y, err := convolve(x, b.param(c.w), c.stride, c.pad)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.w.Name, err)
	}
	return y, nil
}

// convBN is a convolution followed by BatchNorm and its epilogue (shortcut
// addition, ReLU), which run as one op.
func (b *graphBuilder) convBN(x *G.Node, c conv, bn *bnLayer, epi kernel.Epilogue) (*G.Node, error) {
	if !b.training && !b.unfused {
		y, err := kernel.ConvBNEval(x, b.param(c.w), c.stride, c.pad, bn.BatchNorm, b.param(bn.gamma), b.param(bn.beta), epi)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.w.Name, err)
		}
		return y, nil
	}
	y, err := b.conv(x, c)
	if err != nil {
		return nil, err
	}
	return bn.Apply(y, b.param(bn.gamma), b.param(bn.beta), epi, b.training)
}

// block builds one residual block: relu(branch(x) + shortcut(x)). The
// shortcut is built first so that the branch's last BatchNorm can add it and
// rectify in the same op.
func (b *graphBuilder) block(blk block, x *G.Node) (*G.Node, error) {
	shortcut := x
	var err error
	if blk.downConv != nil {
		if shortcut, err = b.convBN(x, *blk.downConv, blk.downBN, kernel.Epilogue{}); err != nil {
			return nil, err
		}
	}
	out := x
	last := len(blk.convs) - 1
	for i, c := range blk.convs {
		epi := kernel.Epilogue{ReLU: true}
		if i == last {
			epi.Residual = shortcut
		}
		if out, err = b.convBN(out, c, blk.bns[i], epi); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// backbone builds stem, four stages and pooling: images in, features out.
func (b *graphBuilder) backbone(net *network, x *G.Node) (*G.Node, error) {
	x, err := b.convBN(x, net.stem, net.stemBN, kernel.Epilogue{ReLU: true})
	if err != nil {
		return nil, err
	}
	if x, err = kernel.MaxPool2D(x, 3, 2, 1); err != nil {
		return nil, fmt.Errorf("max-pool: %w", err)
	}
	for _, stage := range net.stages {
		for _, blk := range stage {
			if x, err = b.block(blk, x); err != nil {
				return nil, err
			}
		}
	}
	if b.cfg.Pooling == PoolFlatten {
		s := x.Shape()
		return G.Reshape(x, tensor.Shape{s[0], s[1] * s[2] * s[3]})
	}
	return kernel.GlobalAvgPool(x)
}

// head builds the classifier: dropout before each layer, ELU after each
// hidden one (the reference's Dense layers).
func (b *graphBuilder) head(net *network, x *G.Node) (*G.Node, error) {
	var err error
	for i, l := range net.head {
		if b.training {
			if x, err = kernel.Dropout(x, b.cfg.Dropout, b.rng); err != nil {
				return nil, err
			}
		}
		if x, err = G.Mul(x, b.param(l.w)); err != nil {
			return nil, fmt.Errorf("%s: %w", l.w.Name, err)
		}
		if x, err = kernel.AddBias(x, b.param(l.b)); err != nil {
			return nil, err
		}
		if i < len(net.head)-1 {
			if x, err = kernel.ELU(x); err != nil {
				return nil, err
			}
		}
	}
	return x, nil
}

// build makes one graph of the given kind for batches of the given size.
func (net *network) build(cfg Config, kind graphKind, batch int, rng *rand.Rand, sharing kernel.Sharing) (*compiled, error) {
	g := G.NewGraph()
	b := &graphBuilder{g: g, cfg: cfg, rng: rng, nodes: map[*Param]*G.Node{},
		training: kind == graphTrain || kind == graphHeadTrain || kind == graphRecalibrate}
	c := &compiled{kind: kind, batch: batch, g: g}
	var err error
	switch kind {
	case graphTrain, graphFeatures, graphRecalibrate:
		c.input = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 3, cfg.InputSize, cfg.InputSize), G.WithName("images"))
		if c.output, err = b.backbone(net, c.input); err != nil {
			return nil, err
		}
		if kind == graphTrain {
			if c.output, err = b.head(net, c.output); err != nil {
				return nil, err
			}
			c.params = net.params
		}
	case graphHeadTrain, graphHeadEval:
		c.input = G.NewTensor(g, tensor.Float32, 2, G.WithShape(batch, cfg.Features()), G.WithName("features"))
		if c.output, err = b.head(net, c.input); err != nil {
			return nil, err
		}
		if kind == graphHeadTrain {
			c.params = net.headParams()
		}
	}
	var opts []G.VMOpt
	if c.params != nil {
		c.target = G.NewTensor(g, tensor.Float32, 2, G.WithShape(batch, cfg.Classes), G.WithName("targets"))
		if c.loss, err = kernel.SoftmaxCrossEntropy(c.output, c.target); err != nil {
			return nil, err
		}
		nodes := make(G.Nodes, len(c.params))
		for i, p := range c.params {
			nodes[i] = b.param(p)
		}
		if c.grads, err = G.Grad(c.loss, nodes...); err != nil {
			return nil, fmt.Errorf("differentiating the %s graph: %w", kind, err)
		}
	} else {
		opts = append(opts, G.EvalMode())
	}
	sharing.Keep = G.Nodes{c.output}
	if c.loss != nil {
		sharing.Keep = append(sharing.Keep, c.loss)
	}
	sharing.Keep = append(sharing.Keep, c.grads...)
	if c.vm, c.buffers, err = kernel.NewTapeMachine(g, sharing, opts...); err != nil {
		return nil, fmt.Errorf("the %s graph: %w", kind, err)
	}
	return c, nil
}
