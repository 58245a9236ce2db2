package kernel

import "github.com/reslab/reslab/resnet/kernel/simd"

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
	e.applyChannels(g, y, src, ld, n, col0, cols, 0, g.cout)
}

// applyChannels is apply for output channels [o0, o1), whose product rows
// start at src.
func (e *convEpilogue) applyChannels(g *convGeom, y, src []float32, ld, n, col0, cols, o0, o1 int) {
	outSize := g.cout * g.p
	for o := o0; o < o1; o++ {
		at := n*outSize + o*g.p + col0
		var res []float32
		if e.residual != nil {
			res = e.residual[at : at+cols]
		}
		r := (o - o0) * ld
		simd.Affine(y[at:at+cols], src[r:r+cols], res, e.scale[o], e.shift[o], e.relu)
	}
}

// forwardWith is forward followed, per task, by the epilogue (nil: none).
func (g *convGeom) forwardWith(x, w, y []float32, epi *convEpilogue) {
	if mk := activeKernel.Load(); mk != nil && g.usesWinograd() {
		g.winogradForward(mk, x, w, y, epi)
		return
	}
	tasks, _, workers := g.plan()
	if parts := g.channelParts(workers); parts > 1 {
		g.forwardByChannels(x, w, y, epi, parts)
		return
	}
	outSize := g.cout * g.p
	var packed []float32
	defer putScratch(&packed)
	maxCols := 0
	for _, t := range tasks {
		maxCols = max(maxCols, t.cols)
	}
	wA := shareOperand(false, g.cout, g.ckk, w, g.ckk, len(tasks), maxCols, &packed)
	runTasks(len(tasks), workers, func(_, i int) {
		t := tasks[i]
		var scratch, out []float32
		defer putScratch(&scratch)
		defer putScratch(&out)
		if g.readsPaddedInput(wA) {
			// Image by image: with B read in place and A packed once, a
			// narrower product costs little, and images side by side would
			// each need their rows of padding computed too.
			for _, s := range t.segs {
				g.forwardPadded(x, s, wA.packed, y, &scratch, &out)
				if epi != nil {
					epi.apply(g, y, y[s.n*outSize+s.oh0*g.wo:], g.p, s.n, s.oh0*g.wo, (s.oh1-s.oh0)*g.wo)
				}
			}
			return
		}
		col, ldcol := g.colBlock(x, t, &scratch)
		if len(t.segs) == 1 {
			s := t.segs[0]
			at := s.n*outSize + s.oh0*g.wo
			wA.sgemm(false, t.cols, col, ldcol, 0, y[at:], g.p)
			if epi != nil {
				epi.apply(g, y, y[s.n*outSize+s.oh0*g.wo:], g.p, s.n, s.oh0*g.wo, t.cols)
			}
			return
		}
		// Several images: one product into a scratch block, then copied out.
		blk := scratchBuf(&out, g.cout*t.cols)
		wA.sgemm(false, t.cols, col, ldcol, 0, blk, t.cols)
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

// paddedInputConvs lets stride-1 convolutions as wide as their input
// multiply straight from a zero-padded copy of it (forwardPadded) where
// the kernel can; tests turn it off to compare with the im2col path.
var paddedInputConvs = true

// readsPaddedInput says whether a task of this convolution, with the
// weights wA, runs forwardPadded: a stride-1 convolution whose output is as
// wide as its input (3×3 with padding 1 and the like) that copies rows for
// its im2col (not a 1×1, not the small planes gathered through an index
// table), with weights packed for a kernel that reads B at offsets, and
// planes at least 8·(K−1) wide. The product then computes 2·pad unused
// columns per row, at most an eighth more; on narrower planes that costs
// about what im2col saves (BenchmarkConvForwardPaths, AVX-512 and AVX2
// kernels: 7×7 and 8×8 planes 3–16 % slower, 14×14 even to 8 % slower;
// 16×16 9 % faster, 28×28 2–17 %, 32×32 31–34 %, 56×56 4–7 %).
func (g *convGeom) readsPaddedInput(wA sharedOperand) bool {
	return paddedInputConvs && g.stride == 1 && g.wo == g.w && !g.direct && g.gather == nil &&
		g.w >= 8*(g.k-1) && wA.packed != nil && wA.packed.HasOffsetB()
}

// forwardPadded computes output rows [s.oh0, s.oh1) of image s.n without
// an im2col block. It copies the input rows they read into xp, each
// channel's rows zero-padded to wp = w + 2·pad columns and pad rows of
// zeros where they fall off the image. Row (c, ki, kj) of im2col is then xp
// from offset c·plane + ki·wp + kj on, read across the output's rows as if
// they were wp wide: pixel (oh, ow) is column (oh−oh0)·wp + ow. The product
// reads those rows in place (simd.PackedA.SgemmOffsetB) into a block with
// 2·pad unused columns per row, which is then copied into y. The copies
// move an input and an output instead of K² shifted inputs written and
// read again, and the sums are the im2col path's, bit for bit.
func (g *convGeom) forwardPadded(x []float32, s segment, w *simd.PackedA, y []float32, xpScratch, outScratch *[]float32) {
	wp := g.w + 2*g.pad
	rows := s.oh1 - s.oh0
	plane := (rows + g.k - 1) * wp
	n := (rows-1)*wp + g.wo
	body := g.cin * plane
	xp := scratchBuf(xpScratch, body+w.OffsetBSlack(n))
	xn := x[s.n*g.cin*g.hw : (s.n+1)*g.cin*g.hw]
	for c := 0; c < g.cin; c++ {
		xc := xn[c*g.hw : (c+1)*g.hw]
		for r := 0; r < rows+g.k-1; r++ {
			dst := xp[c*plane+r*wp : c*plane+(r+1)*wp]
			ih := s.oh0 - g.pad + r
			if ih < 0 || ih >= g.h {
				clear(dst)
				continue
			}
			clear(dst[:g.pad])
			copy(dst[g.pad:g.pad+g.w], xc[ih*g.w:(ih+1)*g.w])
			clear(dst[g.pad+g.w:])
		}
	}
	clear(xp[body:])
	blk := scratchBuf(outScratch, g.cout*n)
	w.SgemmOffsetB(n, xp, g.paddedOffsets(rows), blk, n)
	yn := y[s.n*g.cout*g.p:]
	for o := 0; o < g.cout; o++ {
		for r := 0; r < rows; r++ {
			copy(yn[o*g.p+(s.oh0+r)*g.wo:o*g.p+(s.oh0+r+1)*g.wo], blk[o*n+r*wp:])
		}
	}
}

// paddedOffsets are the offsets in forwardPadded's block of the im2col
// rows (c, ki, kj) for a task of rows output rows, c·plane + ki·wp + kj,
// made once per geometry and row count (a plan's tasks have one or two).
func (g *convGeom) paddedOffsets(rows int) []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if offs, ok := g.paddedOffs[rows]; ok {
		return offs
	}
	wp := g.w + 2*g.pad
	plane := (rows + g.k - 1) * wp
	offs := make([]int, g.ckk)
	for c := 0; c < g.cin; c++ {
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				offs[(c*g.k+ki)*g.k+kj] = c*plane + ki*wp + kj
			}
		}
	}
	if g.paddedOffs == nil {
		g.paddedOffs = map[int][]int{}
	}
	g.paddedOffs[rows] = offs
	return offs
}

// fewColumns is the most output columns (images × pixels) of a convolution
// whose forward pass splits its output channels over the workers instead
// of its columns: with so few columns the product streams the weights,
// which then dwarf the activations (512×4608 of them against 32 columns in
// the last layer of a 64 px ResNet-18 at batch 8), and splitting by columns
// would have every worker read all of them.
const fewColumns = 64

// channelParts is how many blocks of output channels the forward pass
// splits into: one per worker when the convolution has at most fewColumns
// columns and enough channels (blocks of eight or more), else 1.
func (g *convGeom) channelParts(workers int) int {
	if workers < 2 || g.n*g.p > fewColumns || g.cout < 16 {
		return 1
	}
	return min(workers, g.cout/8)
}

// forwardByChannels is forwardWith split into parts blocks of output
// channels: each computes the im2col block of every image (small, by
// fewColumns) and its channels' rows of the product.
func (g *convGeom) forwardByChannels(x, w, y []float32, epi *convEpilogue, parts int) {
	all := colTask{}
	for n := 0; n < g.n; n++ {
		all.segs = append(all.segs, segment{n, 0, g.ho})
		all.cols += g.p
	}
	outSize := g.cout * g.p
	per := roundUp(ceilDiv(g.cout, parts), 8)
	runTasks(ceilDiv(g.cout, per), parts, func(_, i int) {
		o0, o1 := i*per, min((i+1)*per, g.cout)
		var scratch, out []float32
		defer putScratch(&scratch)
		defer putScratch(&out)
		col, ldcol := g.colBlock(x, all, &scratch)
		blk := scratchBuf(&out, (o1-o0)*all.cols)
		sgemm(false, false, o1-o0, all.cols, g.ckk, 1, w[o0*g.ckk:], g.ckk, col, ldcol, 0, blk, all.cols)
		for n := 0; n < g.n; n++ {
			off := n * g.p
			if epi != nil {
				epi.applyChannels(g, y, blk[off:], all.cols, n, 0, g.p, o0, o1)
				continue
			}
			yn := y[n*outSize:]
			for o := o0; o < o1; o++ {
				copy(yn[o*g.p:(o+1)*g.p], blk[(o-o0)*all.cols+off:(o-o0)*all.cols+off+g.p])
			}
		}
	})
}

// backwardWeights computes ∂W = Σ ∂y·colᵀ, recomputing col. The tasks are
// dealt out in fixed contiguous slices, one per worker, each summed into its
// own accumulator, and the accumulators are added in order, so the result
// does not depend on goroutine timing (resumed training must reproduce an
// uninterrupted run bit for bit).
//
// With few output channels (the kernel reads A in place for products that
// narrow) it computes ∂Wᵀ = col·∂yᵀ instead: col is then read where it is
// and only ∂y is transposed into panels, not col, which is K²·cin/cout
// times larger. The products and their order are the same, so the sums are
// the same bits; the accumulators' sum is transposed back at the end.
func (g *convGeom) backwardWeights(x, dy, dw []float32) {
	if mk := activeKernel.Load(); mk != nil && g.winogradWeightGradient() {
		g.winogradBackwardWeights(mk, x, dy, dw)
		return
	}
	tasks, _, workers := g.plan()
	outSize := g.cout * g.p
	slots := min(workers, len(tasks))
	mk := activeKernel.Load()
	transposed := transposedWeightGradients && mk != nil && mk.ReadsAInPlace(false, g.cout)
	acc := make([][]float32, slots)
	acc[0] = dw
	if transposed {
		acc[0] = getScratch(len(dw))
	}
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
			if transposed {
				sgemm(false, true, g.ckk, g.cout, t.cols, 1, col, ldcol, a, lda, beta, acc[slot], g.cout)
				continue
			}
			sgemm(false, true, g.cout, g.ckk, t.cols, 1, a, lda, col, ldcol, beta, acc[slot], g.ckk)
		}
	})
	sum := acc[0] // dw, or ∂Wᵀ when transposed
	for i := 1; i < slots; i++ {
		part := acc[i]
		ParallelFor(len(dw), ElementGrain, func(lo, hi int) { simd.Axpy(1, part[lo:hi], sum[lo:hi]) })
		putScratch(&acc[i])
	}
	if transposed {
		ParallelFor(g.cout, max(ElementGrain/g.ckk, 1), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				row := dw[o*g.ckk : (o+1)*g.ckk]
				for j := range row {
					row[j] = sum[j*g.cout+o]
				}
			}
		})
		putScratch(&acc[0])
	}
}

// transposedWeightGradients lets backwardWeights compute ∂Wᵀ where that
// reads col in place; tests turn it off to compare the two.
var transposedWeightGradients = true

// backwardData computes ∂x: ∂col = Wᵀ·∂y, scattered back by col2im (or, for
// direct convolutions, written straight into ∂x).
func (g *convGeom) backwardData(w, dy, dx []float32) {
	if d := g.dataConv(); d != nil {
		var flipped []float32
		defer putScratch(&flipped)
		d.forward(dy, g.flipWeights(w, scratchBuf(&flipped, len(w))), dx)
		return
	}
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

// flipWeights writes dataConv's weights W̃ into wt: W̃ (cin, cout, K, K)
// holds W (cout, cin, K, K) with the two channel axes swapped and the
// kernel turned by 180°.
func (g *convGeom) flipWeights(w, wt []float32) []float32 {
	kk := g.kk
	ParallelFor(g.cin, max(ElementGrain/(g.cout*kk), 1), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for o := 0; o < g.cout; o++ {
				src := w[(o*g.cin+c)*kk : (o*g.cin+c+1)*kk]
				dst := wt[(c*g.cout+o)*kk : (c*g.cout+o+1)*kk]
				for q, v := range src {
					dst[kk-1-q] = v
				}
			}
		}
	})
	return wt
}
