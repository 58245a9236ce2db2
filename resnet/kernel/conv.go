package kernel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2D is a bias-free 2-D convolution (cross-correlation, as PyTorch's) of
// an (N, C, H, W) input with (O, C, K, K) weights, with the given stride and
// symmetric zero padding. It differentiates both inputs.
//
// It replaces gorgonia's Conv2d, which spends its time in single-threaded
// im2col, col2im and transposes and keeps every im2col matrix alive from the
// forward to the backward pass. Here every kernel splits its work over the
// cores, each matrix product writes straight into NCHW, 1×1 stride-1
// convolutions are plain matrix products with no im2col at all, the im2col
// matrix is recomputed in the backward pass instead of kept, and the im2col
// scratch buffers are recycled across calls. See docs/performance.md.
func Conv2D(x, w *G.Node, stride, pad int) (*G.Node, error) {
	return conv2d(x, w, stride, pad, true)
}

// Conv2DOfData is Conv2D for a convolution whose input is data (the stem's
// images): it builds no gradient for x, which saves the backward pass's
// largest col2im.
func Conv2DOfData(x, w *G.Node, stride, pad int) (*G.Node, error) {
	return conv2d(x, w, stride, pad, false)
}

func conv2d(x, w *G.Node, stride, pad int, inputGrad bool) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	g, err := convGeomOf(xs, ws, stride, pad)
	if err != nil {
		return nil, err
	}
	outShape := tensor.Shape{g.n, g.cout, g.ho, g.wo}
	name := fmt.Sprintf("conv2d(k%d,s%d,p%d)", g.k, stride, pad)

	op := newKernelOp(name, []int{4, 4}, 4)
	op.shape = func([]tensor.Shape) (tensor.Shape, error) { return outShape.Clone(), nil }
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(outShape, false)
		if err := g.run(passForward, Floats(in[0]), Floats(in[1]), Floats(out), nil); err != nil {
			return nil, err
		}
		return out, nil
	}
	op.wrt = []bool{inputGrad, true}
	op.grad = func(inputs G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		grads := make(G.Nodes, 2)
		if inputGrad {
			dxOp := newKernelOp(name+"-grad-x", []int{4, 4}, 4)
			dxOp.shape = func([]tensor.Shape) (tensor.Shape, error) { return xs.Clone(), nil }
			dxOp.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
				out := dxOp.output(xs, g.dataConv() == nil) // col2im accumulates
				if err := g.run(passBackwardData, Floats(in[0]), Floats(in[1]), Floats(out), nil); err != nil {
					return nil, err
				}
				return out, nil
			}
			dx, err := dxOp.apply(inputs[1], dy)
			if err != nil {
				return nil, err
			}
			grads[0] = dx
		}
		dwOp := newKernelOp(name+"-grad-w", []int{4, 4}, 4)
		dwOp.shape = func([]tensor.Shape) (tensor.Shape, error) { return ws.Clone(), nil }
		dwOp.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := dwOp.output(ws, false)
			if err := g.run(passBackwardWeights, Floats(in[0]), Floats(in[1]), Floats(out), nil); err != nil {
				return nil, err
			}
			return out, nil
		}
		dw, err := dwOp.apply(inputs[0], dy)
		if err != nil {
			return nil, err
		}
		grads[1] = dw
		return grads, nil
	}
	return op.apply(x, w)
}

// convGeomOf checks an input and weight shape and returns their geometry.
func convGeomOf(xs, ws tensor.Shape, stride, pad int) (*convGeom, error) {
	if len(xs) != 4 || len(ws) != 4 || ws[1] != xs[1] || ws[2] != ws[3] {
		return nil, fmt.Errorf("conv2d: input %v and weights %v, want (N, C, H, W) and (O, C, K, K)", xs, ws)
	}
	if stride < 1 || pad < 0 {
		return nil, fmt.Errorf("conv2d: stride %d, padding %d", stride, pad)
	}
	// Truncating division would give a 1-pixel output to a kernel wider
	// than the padded input when the stride is 2 or more; PyTorch refuses.
	if xs[2]+2*pad < ws[2] || xs[3]+2*pad < ws[2] {
		return nil, fmt.Errorf("conv2d: input %v too small for a %d×%d kernel with stride %d and padding %d", xs, ws[2], ws[2], stride, pad)
	}
	g := newConvGeom(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], stride, pad)
	if g.ho < 1 || g.wo < 1 {
		return nil, fmt.Errorf("conv2d: input %v too small for a %d×%d kernel with stride %d and padding %d", xs, g.k, g.k, stride, pad)
	}
	return g, nil
}

// convGeom is one convolution's shapes. The convolution is computed as
// matrix products per block of output columns: with col the im2col matrix of
// an image (C·K·K rows, one column per output pixel), y = W·col,
// ∂W = Σ ∂y·colᵀ and ∂col = Wᵀ·∂y, scattered back onto ∂x (col2im).
type convGeom struct {
	n, cin, h, w    int
	cout, k, stride int
	pad, ho, wo     int
	kk, ckk, p, hw  int
	direct          bool  // 1×1, stride 1, no padding: an image is its own im2col matrix
	colLo, colHi    []int // per kernel column kj, the output columns inside the image
	// gather, for small images, is the im2col of one channel as indices:
	// entry (ki·k+kj)·p + pixel is the input index the column reads, or hw
	// (one past the plane: a zero) where it falls in the padding.
	gather []int32

	libMu     sync.Mutex // guards the library below
	libChosen bool
	lib       libraryConv // nil: reslab's kernels; see library
	libErr    error       // why the library could not take the convolution

	mu        sync.Mutex // guards the plan below
	workers   int
	colTasks  []colTask
	dataTasks []dataTask
	// paddedOffs[rows] are forwardPadded's offsets for tasks of that many
	// output rows (paddedOffsets).
	paddedOffs map[int][]int

	dualOnce sync.Once
	dual     *convGeom // see dataConv
}

// dataConv is, for a stride-1 convolution with an im2col matrix, the
// convolution that computes its input gradient: ∂x = conv(∂y, W̃) with
// W̃[c][o][i][j] = W[o][c][K−1−i][K−1−j] and padding K−1−pad. It replaces
// ∂col = Wᵀ·∂y and col2im, whose scatter-add of K² shifted rows per channel
// cost as much as a fifth of the product, by an im2col of ∂y (copies) and a
// product written straight into ∂x. nil for other convolutions.
func (g *convGeom) dataConv() *convGeom {
	g.dualOnce.Do(func() {
		if g.stride == 1 && !g.direct && g.pad <= g.k-1 {
			g.dual = newConvGeom(g.n, g.cout, g.ho, g.wo, g.cin, g.k, 1, g.k-1-g.pad)
		}
	})
	return g.dual
}

func newConvGeom(n, cin, h, w, cout, k, stride, pad int) *convGeom {
	g := &convGeom{n: n, cin: cin, h: h, w: w, cout: cout, k: k, stride: stride, pad: pad}
	g.ho = OutSide(h, k, stride, pad)
	g.wo = OutSide(w, k, stride, pad)
	g.kk = k * k
	g.ckk = cin * g.kk
	g.p = g.ho * g.wo
	g.hw = h * w
	g.direct = k == 1 && stride == 1 && pad == 0
	sameWidth := stride == 1 && g.wo == w
	if !g.direct && g.hw <= min(gatherPixels, gatherMaxPixels) && !(sameWidth && g.hw >= sameWidthGatherMax) {
		g.buildGather()
	}
	// colLo[kj]..colHi[kj] are the output columns whose input column
	// ow·stride−pad+kj lies inside the image.
	g.colLo, g.colHi = make([]int, k), make([]int, k)
	for kj := 0; kj < k; kj++ {
		lo := 0
		if d := pad - kj; d > 0 {
			lo = (d + stride - 1) / stride
		}
		hi := 0
		if d := w - 1 + pad - kj; d >= 0 {
			hi = d/stride + 1
		}
		lo, hi = min(lo, g.wo), min(hi, g.wo)
		g.colLo[kj], g.colHi[kj] = lo, max(lo, hi)
	}
	return g
}

// convScratchFloats is the size aimed at for one task's im2col block: large
// enough to keep the matrix products efficient, small enough to stay in
// the last-level cache between im2col and the product.
var convScratchFloats = 1 << 20

// minTaskCols is the fewest output columns a task gets (unless that would
// leave a worker idle): BLAS packs both operands on every call, which costs
// about as much as 1/cols of the product, and late layers have few pixels
// per image, so several images share a task there.
var minTaskCols = 512

// segment is output rows [oh0, oh1) of image n.
type segment struct{ n, oh0, oh1 int }

// colTask is a block of output columns, one or more segments side by side.
type colTask struct {
	segs []segment
	cols int
}

// dataTask is the input gradient of images [n0, n1), channels [c0, c1).
type dataTask struct{ n0, n1, c0, c1 int }

// plan splits the work into tasks for the number of cores. It depends only
// on the shapes and GOMAXPROCS, so it is kept until GOMAXPROCS changes.
func (g *convGeom) plan() ([]colTask, []dataTask, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	workers := runtime.GOMAXPROCS(0)
	if g.colTasks != nil && g.workers == workers {
		return g.colTasks, g.dataTasks, workers
	}
	g.workers = workers
	g.colTasks, g.dataTasks = nil, nil

	// Images with few pixels are grouped, several per task, so that the
	// matrix products are not too thin; the task count is then a multiple of
	// the workers. Such grouping costs copies (outputs and gradients are
	// gathered and scattered), so larger images are never grouped.
	if g.p < minTaskCols && g.n > 1 {
		per := min(ceilDiv(minTaskCols, g.p), ceilDiv(g.n, workers))
		per = ceilDiv(g.n, roundUp(ceilDiv(g.n, per), workers))
		for n0 := 0; n0 < g.n; n0 += per {
			t := colTask{}
			for n := n0; n < min(n0+per, g.n); n++ {
				t.segs = append(t.segs, segment{n, 0, g.ho})
				t.cols += g.p
			}
			g.colTasks = append(g.colTasks, t)
			g.dataTasks = append(g.dataTasks, dataTask{n0, min(n0+per, g.n), 0, g.cin})
		}
		return g.colTasks, g.dataTasks, workers
	}

	// Otherwise one image per task, split into blocks of output rows (column
	// tasks: forward and weight gradient) or input channels (input-gradient
	// tasks, which must write disjoint parts of ∂x) so that an im2col or
	// ∂col block is about convScratchFloats, and so that the tasks spread
	// evenly over the workers. Direct convolutions have no such block.
	rows, chans := g.ho, g.cin
	if !g.direct {
		rows = max(max(convScratchFloats/g.ckk, minTaskCols)/g.wo, 1)
		chans = max(convScratchFloats/(g.kk*g.p), 1)
	}
	if g.n%workers != 0 {
		rows = min(rows, ceilDiv(g.ho, workers))
		chans = min(chans, ceilDiv(g.cin, workers))
	}
	rows = ceilDiv(g.ho, ceilDiv(g.ho, rows)) // even blocks
	chans = ceilDiv(g.cin, ceilDiv(g.cin, chans))
	for n := 0; n < g.n; n++ {
		for oh := 0; oh < g.ho; oh += rows {
			hi := min(oh+rows, g.ho)
			g.colTasks = append(g.colTasks, colTask{segs: []segment{{n, oh, hi}}, cols: (hi - oh) * g.wo})
		}
		for c := 0; c < g.cin; c += chans {
			g.dataTasks = append(g.dataTasks, dataTask{n, n + 1, c, min(c+chans, g.cin)})
		}
	}
	return g.colTasks, g.dataTasks, workers
}

// gatherMaxPixels is the largest input plane im2col gathers through an index
// table instead of copying rows: below it rows are so short (16 floats at
// 16×16, 2 at 2×2) that the calls and slicing per row cost more than
// moving the data. A stride-1 convolution as wide as its input copies whole
// shifted planes instead (im2colRowsSameWidth), which beats the table from
// 7×7 up (measured: 16×16 planes 7.4 against 1.8 Gfloat/s, 8×8 1.8 against
// 1.5, 7×7 even, 4×4 0.6 against 1.2); sameWidthGatherMax is that limit.
// gatherPixels is the limit in use; tests lower it to reach the copying
// paths with small shapes.
const (
	gatherMaxPixels    = 256
	sameWidthGatherMax = 49
)

var gatherPixels = gatherMaxPixels

// buildGather fills g.gather (see convGeom).
func (g *convGeom) buildGather() {
	g.gather = make([]int32, g.kk*g.p)
	for ki := 0; ki < g.k; ki++ {
		for kj := 0; kj < g.k; kj++ {
			row := g.gather[(ki*g.k+kj)*g.p:]
			for oh := 0; oh < g.ho; oh++ {
				for ow := 0; ow < g.wo; ow++ {
					ih, iw := oh*g.stride-g.pad+ki, ow*g.stride-g.pad+kj
					at := int32(g.hw)
					if ih >= 0 && ih < g.h && iw >= 0 && iw < g.w {
						at = int32(ih*g.w + iw)
					}
					row[oh*g.wo+ow] = at
				}
			}
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(v, m int) int { return (v + m - 1) / m * m }

// runTasks runs body(worker, task) for tasks [0, n) on up to workers
// goroutines that take tasks in order; worker numbers are dense from 0.
func runTasks(n, workers int, body func(worker, task int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for t := 0; t < n; t++ {
			body(0, t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				t := int(next.Add(1)) - 1
				if t >= n {
					return
				}
				body(w, t)
			}
		}(w)
	}
	wg.Wait()
}

// OutSide is the output side of a convolution or pooling window of the
// given kernel, stride and padding over a side of in pixels.
func OutSide(in, kernel, stride, pad int) int { return (in+2*pad-kernel)/stride + 1 }
