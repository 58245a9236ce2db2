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
		g.forward(Floats(in[0]), Floats(in[1]), Floats(out))
		return out, nil
	}
	op.wrt = []bool{inputGrad, true}
	op.grad = func(inputs G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		grads := make(G.Nodes, 2)
		if inputGrad {
			dxOp := newKernelOp(name+"-grad-x", []int{4, 4}, 4)
			dxOp.shape = func([]tensor.Shape) (tensor.Shape, error) { return xs.Clone(), nil }
			dxOp.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
				out := dxOp.output(xs, true) // col2im accumulates
				g.backwardData(Floats(in[0]), Floats(in[1]), Floats(out))
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
			g.backwardWeights(Floats(in[0]), Floats(in[1]), Floats(out))
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

	mu        sync.Mutex // guards the plan below
	workers   int
	colTasks  []colTask
	dataTasks []dataTask
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
	if !g.direct && g.hw <= min(gatherPixels, gatherMaxPixels) {
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
// moving the data. gatherPixels is the limit in use; tests lower it to
// reach the copying paths with small shapes.
const gatherMaxPixels = 256

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

// colBlock returns the im2col block of a task (ckk × t.cols, row-major) and
// its leading dimension. Direct convolutions of a single segment return a
// view of the input without copying.
func (g *convGeom) colBlock(x []float32, t colTask, scratch *[]float32) ([]float32, int) {
	if g.direct && len(t.segs) == 1 {
		s := t.segs[0]
		return x[s.n*g.cin*g.p+s.oh0*g.wo:], g.p
	}
	col := scratchBuf(scratch, g.ckk*t.cols)
	off := 0
	for _, s := range t.segs {
		xn := x[s.n*g.cin*g.hw : (s.n+1)*g.cin*g.hw]
		if g.direct {
			cols := (s.oh1 - s.oh0) * g.wo
			for c := 0; c < g.cin; c++ {
				copy(col[c*t.cols+off:c*t.cols+off+cols], xn[c*g.hw+s.oh0*g.wo:])
			}
		} else {
			g.im2col(xn, s.oh0, s.oh1, col, t.cols, off)
		}
		off += (s.oh1 - s.oh0) * g.wo
	}
	return col, t.cols
}

// im2col writes the columns of output rows [oh0, oh1) of one image x
// (cin×h×w) into col (ckk rows, leading dimension ld), from column off.
func (g *convGeom) im2col(x []float32, oh0, oh1 int, col []float32, ld, off int) {
	width := (oh1 - oh0) * g.wo
	if g.gather != nil {
		// The plane and a trailing zero, so that padding is one more index.
		var padded [gatherMaxPixels + 1]float32
		for c := 0; c < g.cin; c++ {
			copy(padded[:g.hw], x[c*g.hw:(c+1)*g.hw])
			for r := 0; r < g.kk; r++ {
				dst := col[(c*g.kk+r)*ld+off : (c*g.kk+r)*ld+off+width]
				idx := g.gather[r*g.p+oh0*g.wo : r*g.p+oh0*g.wo+width]
				for j, at := range idx {
					dst[j] = padded[at]
				}
			}
		}
		return
	}
	sameWidth := g.stride == 1 && g.wo == g.w
	for c := 0; c < g.cin; c++ {
		xc := x[c*g.hw : (c+1)*g.hw]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := (c*g.k+ki)*g.k + kj
				dst := col[row*ld+off : row*ld+off+width]
				if sameWidth {
					g.im2colRowsSameWidth(xc, dst, oh0, oh1, ki, kj)
				} else {
					g.im2colRows(xc, dst, oh0, oh1, ki, kj)
				}
			}
		}
	}
}

// im2colRowsSameWidth fills one im2col row (kernel offset ki, kj) for
// output rows [oh0, oh1) of a stride-1 convolution whose output is as wide
// as its input (3×3 with padding 1, the most common case). The input rows
// it reads are then contiguous, so one copy moves them all, and only the
// columns that fell off the image's left or right edge are zeroed after: on
// late layers' 7×7 or 2×2 images a copy per output row cost more in calls
// and slicing than in moving data.
func (g *convGeom) im2colRowsSameWidth(xc, dst []float32, oh0, oh1, ki, kj int) {
	wo, shift := g.wo, kj-g.pad
	// Output rows [ohA, ohB) read input rows inside the image.
	ohA := min(max(oh0, g.pad-ki), oh1)
	ohB := max(min(oh1, g.h+g.pad-ki), ohA)
	clear(dst[:(ohA-oh0)*wo])
	clear(dst[(ohB-oh0)*wo:])
	if ohB == ohA {
		return
	}
	d := dst[(ohA-oh0)*wo : (ohB-oh0)*wo]
	s0 := (ohA-g.pad+ki)*g.w + shift // may be −1 or run past the plane by the shift
	jlo, jhi := max(0, -s0), min(len(d), len(xc)-s0)
	clear(d[:jlo])
	copy(d[jlo:jhi], xc[s0+jlo:s0+jhi])
	clear(d[jhi:])
	lo, hi := g.colLo[kj], g.colHi[kj]
	if lo == 0 && hi == wo {
		return
	}
	for r := 0; r+wo <= len(d); r += wo {
		row := d[r : r+wo]
		for i := 0; i < lo; i++ {
			row[i] = 0
		}
		for i := hi; i < wo; i++ {
			row[i] = 0
		}
	}
}

// im2colRows fills one im2col row for output rows [oh0, oh1), one output
// row at a time (strided convolutions and other shapes).
func (g *convGeom) im2colRows(xc, dst []float32, oh0, oh1, ki, kj int) {
	wo, w, stride := g.wo, g.w, g.stride
	lo, hi := g.colLo[kj], g.colHi[kj]
	shift := kj - g.pad
	for oh := oh0; oh < oh1; oh++ {
		d := dst[(oh-oh0)*wo : (oh-oh0+1)*wo]
		ih := oh*stride - g.pad + ki
		if ih < 0 || ih >= g.h {
			clear(d)
			continue
		}
		src := xc[ih*w : (ih+1)*w]
		for i := 0; i < lo; i++ {
			d[i] = 0
		}
		for i := hi; i < wo; i++ {
			d[i] = 0
		}
		if stride == 1 {
			copy(d[lo:hi], src[lo+shift:hi+shift])
			continue
		}
		iw := lo*stride + shift
		dd := d[lo:hi]
		for i := range dd {
			dd[i] = src[iw]
			iw += stride
		}
	}
}

// col2im adds the ∂col block of channels [c0, c1) of one image (rows
// (c−c0)·kk + ki·k + kj, leading dimension ld, from column off) onto that
// image's ∂x (cin×h×w).
func (g *convGeom) col2im(dcol []float32, ld, off, c0, c1 int, dx []float32) {
	sameWidth := g.stride == 1 && g.wo == g.w
	for c := c0; c < c1; c++ {
		dxc := dx[c*g.hw : (c+1)*g.hw]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := ((c-c0)*g.k+ki)*g.k + kj
				src := dcol[row*ld+off : row*ld+off+g.p]
				if sameWidth {
					g.col2imRowSameWidth(src, dxc, ki, kj)
				} else {
					g.col2imRow(src, dxc, ki, kj)
				}
			}
		}
	}
}

// col2imRowSameWidth adds one ∂col row (kernel offset ki, kj) of a
// stride-1 convolution as wide as its input onto the channel's ∂x. As in
// im2colRowsSameWidth the rows land contiguously, so the columns that fall
// off the image's edges are zeroed in the ∂col row (scratch, read once) and
// the rest is one long addition.
func (g *convGeom) col2imRowSameWidth(src, dxc []float32, ki, kj int) {
	wo, shift := g.wo, kj-g.pad
	ohA := min(max(0, g.pad-ki), g.ho)
	ohB := max(min(g.ho, g.h+g.pad-ki), ohA)
	if ohB == ohA {
		return
	}
	s := src[ohA*wo : ohB*wo]
	if lo, hi := g.colLo[kj], g.colHi[kj]; lo > 0 || hi < wo {
		for r := 0; r+wo <= len(s); r += wo {
			row := s[r : r+wo]
			for i := 0; i < lo; i++ {
				row[i] = 0
			}
			for i := hi; i < wo; i++ {
				row[i] = 0
			}
		}
	}
	d0 := (ohA-g.pad+ki)*g.w + shift // may be −1 or run past the plane by the shift
	jlo, jhi := max(0, -d0), min(len(s), len(dxc)-d0)
	if jhi <= jlo {
		return
	}
	d := dxc[d0+jlo : d0+jhi]
	s = s[jlo:jhi]
	s = s[:len(d)]
	for i, v := range s {
		d[i] += v
	}
}

// col2imRow adds one ∂col row onto the channel's ∂x, one output row at a
// time (strided convolutions and other shapes).
func (g *convGeom) col2imRow(src, dxc []float32, ki, kj int) {
	lo, hi := g.colLo[kj], g.colHi[kj]
	shift := kj - g.pad
	stride := g.stride
	for oh := 0; oh < g.ho; oh++ {
		ih := oh*stride - g.pad + ki
		if ih < 0 || ih >= g.h {
			continue
		}
		s := src[oh*g.wo+lo : oh*g.wo+hi]
		d := dxc[ih*g.w : (ih+1)*g.w]
		if stride == 1 {
			d = d[lo+shift : hi+shift]
			d = d[:len(s)]
			for i, v := range s {
				d[i] += v
			}
			continue
		}
		iw := lo*stride + shift
		for _, v := range s {
			d[iw] += v
			iw += stride
		}
	}
}

// forward computes y = W·col for every task, straight into NCHW y.
func (g *convGeom) forward(x, w, y []float32) { g.forwardWith(x, w, y, nil) }

// convEpilogue is what an inference convolution applies to each output
// channel c once its product is done: y = max(0, scale[c]·y + shift[c] +
// residual) — an eval-mode BatchNorm folded in, the shortcut added and the
// ReLU. It runs on each task's block of output right after the product,
// while the block is still in cache, instead of as another pass over the
// whole activation.
type convEpilogue struct {
	scale, shift []float32 // per output channel
	residual     []float32 // laid out as y; nil for none
	relu         bool
}

// apply runs the epilogue on output columns [col0, col0+cols) of image n,
// reading the product from src (leading dimension ld) and writing y.
func (e *convEpilogue) apply(g *convGeom, y, src []float32, ld, n, col0, cols int) {
	outSize := g.cout * g.p
	for o := 0; o < g.cout; o++ {
		at := n*outSize + o*g.p + col0
		var res []float32
		if e.residual != nil {
			res = e.residual[at : at+cols]
		}
		affineRow(y[at:at+cols], src[o*ld:o*ld+cols], res, e.scale[o], e.shift[o], e.relu)
	}
}

// forwardWith is forward followed, per task, by the epilogue (nil: none).
func (g *convGeom) forwardWith(x, w, y []float32, epi *convEpilogue) {
	tasks, _, workers := g.plan()
	outSize := g.cout * g.p
	runTasks(len(tasks), workers, func(_, i int) {
		t := tasks[i]
		var scratch, out []float32
		defer putScratch(&scratch)
		defer putScratch(&out)
		col, ldcol := g.colBlock(x, t, &scratch)
		if len(t.segs) == 1 {
			s := t.segs[0]
			at := s.n*outSize + s.oh0*g.wo
			sgemm(false, false, g.cout, t.cols, g.ckk, 1, w, g.ckk, col, ldcol, 0, y[at:], g.p)
			if epi != nil {
				epi.apply(g, y, y[s.n*outSize+s.oh0*g.wo:], g.p, s.n, s.oh0*g.wo, t.cols)
			}
			return
		}
		// Several images: one product into a scratch block, then copied out.
		blk := scratchBuf(&out, g.cout*t.cols)
		sgemm(false, false, g.cout, t.cols, g.ckk, 1, w, g.ckk, col, ldcol, 0, blk, t.cols)
		off := 0
		for _, s := range t.segs {
			cols := (s.oh1 - s.oh0) * g.wo
			if epi != nil {
				epi.apply(g, y, blk[off:], t.cols, s.n, s.oh0*g.wo, cols)
			} else {
				yn := y[s.n*outSize:]
				for o := 0; o < g.cout; o++ {
					copy(yn[o*g.p+s.oh0*g.wo:o*g.p+s.oh0*g.wo+cols], blk[o*t.cols+off:])
				}
			}
			off += cols
		}
	})
}

// backwardWeights computes ∂W = Σ ∂y·colᵀ, recomputing col. The tasks are
// dealt out in fixed contiguous slices, one per worker, each summed into its
// own accumulator, and the accumulators are added in order, so the result
// does not depend on goroutine timing (resumed training must reproduce an
// uninterrupted run bit for bit).
func (g *convGeom) backwardWeights(x, dy, dw []float32) {
	tasks, _, workers := g.plan()
	outSize := g.cout * g.p
	slots := min(workers, len(tasks))
	acc := make([][]float32, slots)
	acc[0] = dw
	for i := 1; i < slots; i++ {
		acc[i] = getScratch(len(dw))
	}
	runTasks(slots, slots, func(_, slot int) {
		var scratch, dyScratch []float32
		defer putScratch(&scratch)
		defer putScratch(&dyScratch)
		lo, hi := slot*len(tasks)/slots, (slot+1)*len(tasks)/slots
		for i := lo; i < hi; i++ {
			t := tasks[i]
			col, ldcol := g.colBlock(x, t, &scratch)
			var a []float32
			var lda int
			if len(t.segs) == 1 {
				s := t.segs[0]
				a, lda = dy[s.n*outSize+s.oh0*g.wo:], g.p
			} else {
				a, lda = scratchBuf(&dyScratch, g.cout*t.cols), t.cols
				off := 0
				for _, s := range t.segs {
					cols := (s.oh1 - s.oh0) * g.wo
					dyn := dy[s.n*outSize:]
					for o := 0; o < g.cout; o++ {
						copy(a[o*t.cols+off:o*t.cols+off+cols], dyn[o*g.p+s.oh0*g.wo:])
					}
					off += cols
				}
			}
			var beta float32
			if i > lo {
				beta = 1
			}
			sgemm(false, true, g.cout, g.ckk, t.cols, 1, a, lda, col, ldcol, beta, acc[slot], g.ckk)
		}
	})
	for i := 1; i < slots; i++ {
		part := acc[i]
		ParallelFor(len(dw), ElementGrain, func(lo, hi int) {
			d, s := dw[lo:hi], part[lo:hi]
			for j, v := range s {
				d[j] += v
			}
		})
		putScratch(&acc[i])
	}
}

// backwardData computes ∂x: ∂col = Wᵀ·∂y, scattered back by col2im (or, for
// direct convolutions, written straight into ∂x).
func (g *convGeom) backwardData(w, dy, dx []float32) {
	_, tasks, workers := g.plan()
	outSize := g.cout * g.p
	inSize := g.cin * g.hw
	runTasks(len(tasks), workers, func(_, i int) {
		t := tasks[i]
		var dyScratch, dcolScratch []float32
		defer putScratch(&dyScratch)
		defer putScratch(&dcolScratch)
		imgs := t.n1 - t.n0
		rows := (t.c1 - t.c0) * g.kk
		wT := w[t.c0*g.kk:] // Wᵀ rows c0·kk… are W's columns
		if imgs == 1 {
			b := dy[t.n0*outSize:]
			dxn := dx[t.n0*inSize:]
			if g.direct {
				sgemm(true, false, rows, g.p, g.cout, 1, wT, g.ckk, b, g.p, 0, dxn[t.c0*g.hw:], g.p)
				return
			}
			dcol := scratchBuf(&dcolScratch, rows*g.p)
			sgemm(true, false, rows, g.p, g.cout, 1, wT, g.ckk, b, g.p, 0, dcol, g.p)
			g.col2im(dcol, g.p, 0, t.c0, t.c1, dxn)
			return
		}
		// Several small images: pack their ∂y side by side, one product.
		cols := imgs * g.p
		b := scratchBuf(&dyScratch, g.cout*cols)
		for n := t.n0; n < t.n1; n++ {
			dyn := dy[n*outSize:]
			off := (n - t.n0) * g.p
			for o := 0; o < g.cout; o++ {
				copy(b[o*cols+off:o*cols+off+g.p], dyn[o*g.p:(o+1)*g.p])
			}
		}
		dcol := scratchBuf(&dcolScratch, rows*cols)
		sgemm(true, false, rows, cols, g.cout, 1, wT, g.ckk, b, cols, 0, dcol, cols)
		for n := t.n0; n < t.n1; n++ {
			dxn := dx[n*inSize:]
			off := (n - t.n0) * g.p
			if g.direct {
				for c := t.c0; c < t.c1; c++ {
					copy(dxn[c*g.hw:(c+1)*g.hw], dcol[(c-t.c0)*cols+off:])
				}
			} else {
				g.col2im(dcol, cols, off, t.c0, t.c1, dxn)
			}
		}
	})
}

// The scratch pool recycles the kernels' temporary buffers (im2col blocks,
// packed gradients, partial sums) across calls and graphs, so a training
// step allocates none of them. Buffers are not cleared: every kernel
// overwrites what it reads.
var scratchPool struct {
	sync.Mutex
	free [][]float32
}

// maxFreeScratch bounds the number of idle buffers kept.
const maxFreeScratch = 16

func getScratch(n int) []float32 {
	scratchPool.Lock()
	best := -1
	for i, b := range scratchPool.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(scratchPool.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := scratchPool.free[best]
		last := len(scratchPool.free) - 1
		scratchPool.free[best] = scratchPool.free[last]
		scratchPool.free[last] = nil
		scratchPool.free = scratchPool.free[:last]
		scratchPool.Unlock()
		return b[:n]
	}
	scratchPool.Unlock()
	return make([]float32, n)
}

func putScratch(p *[]float32) {
	b := *p
	*p = nil
	if b == nil {
		return
	}
	scratchPool.Lock()
	defer scratchPool.Unlock()
	if len(scratchPool.free) < maxFreeScratch {
		scratchPool.free = append(scratchPool.free, b)
		return
	}
	// Full: replace the smallest buffer if this one is larger.
	small := 0
	for i, f := range scratchPool.free {
		if cap(f) < cap(scratchPool.free[small]) {
			small = i
		}
	}
	if cap(b) > cap(scratchPool.free[small]) {
		scratchPool.free[small] = b
	}
}

// scratchBuf returns a pooled buffer of n floats held in *p, to be returned
// with putScratch(p).
func scratchBuf(p *[]float32, n int) []float32 {
	if cap(*p) >= n {
		return (*p)[:n]
	}
	putScratch(p)
	*p = getScratch(n)
	return *p
}

// OutSide is the output side of a convolution or pooling window of the
// given kernel, stride and padding over a side of in pixels.
func OutSide(in, kernel, stride, pad int) int { return (in+2*pad-kernel)/stride + 1 }
