package kernel

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/reslab/reslab/resnet/kernel/simd"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool2D takes the maximum over k×k windows of an (N, C, H, W) tensor
// with the given stride and symmetric padding (padding never wins, as in
// PyTorch; the output size rounds down). Ties go to the first window
// element in row-major order, as in PyTorch and gorgonia.
//
// gorgonia's MaxPool2D is single-threaded, walks a flat iterator and keeps
// an int mask per output; this one splits the planes over the cores and its
// gradient finds the argmax again from the input and the output instead of
// keeping a mask.
func MaxPool2D(x *G.Node, k, stride, pad int) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 || k < 1 || stride < 1 || pad < 0 || pad > k/2 {
		return nil, fmt.Errorf("max-pool: input %v, kernel %d, stride %d, padding %d: want (N, C, H, W), k ≥ 1, stride ≥ 1, 0 ≤ padding ≤ k/2", s, k, stride, pad)
	}
	p := poolGeom{planes: s[0] * s[1], h: s[2], w: s[3], k: k, stride: stride, pad: pad}
	p.ho, p.wo = OutSide(p.h, k, stride, pad), OutSide(p.w, k, stride, pad)
	if p.ho < 1 || p.wo < 1 {
		return nil, fmt.Errorf("max-pool: input %v too small for a %d×%d window", s, k, k)
	}
	outShape := tensor.Shape{s[0], s[1], p.ho, p.wo}
	name := fmt.Sprintf("max-pool(k%d,s%d,p%d)", k, stride, pad)
	op := newKernelOp(name, []int{4}, 4)
	op.shape = func([]tensor.Shape) (tensor.Shape, error) { return outShape.Clone(), nil }
	op.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
		out := op.output(outShape, false)
		xs, ys := Floats(in[0]), Floats(out)
		ParallelFor(p.planes, max(ElementGrain/(p.h*p.w), 1), func(lo, hi int) {
			var rows []float32
			if p.k == 3 && p.pad == 1 {
				rows = make([]float32, p.w)
			}
			for pl := lo; pl < hi; pl++ {
				x, y := xs[pl*p.h*p.w:(pl+1)*p.h*p.w], ys[pl*p.ho*p.wo:(pl+1)*p.ho*p.wo]
				if rows != nil {
					p.forward3(x, y, rows)
				} else {
					p.plane(x, y)
				}
			}
		})
		return out, nil
	}
	op.wrt = []bool{true}
	op.grad = func(inputs G.Nodes, y, dy *G.Node) (G.Nodes, error) {
		// The gradient reads the forward pass's output: each window's
		// maximum is then found by equality tests, not recomputed.
		g := newKernelOp(name+"-grad", []int{4, 4, 4}, 4)
		g.shape = func([]tensor.Shape) (tensor.Shape, error) { return s.Clone(), nil }
		g.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := g.output(s, true) // gradients add up where windows overlap
			xs, ys, dys, dxs := Floats(in[0]), Floats(in[1]), Floats(in[2]), Floats(out)
			ParallelFor(p.planes, max(ElementGrain/(p.h*p.w), 1), func(lo, hi int) {
				for pl := lo; pl < hi; pl++ {
					x, dx := xs[pl*p.h*p.w:(pl+1)*p.h*p.w], dxs[pl*p.h*p.w:(pl+1)*p.h*p.w]
					y, d := ys[pl*p.ho*p.wo:(pl+1)*p.ho*p.wo], dys[pl*p.ho*p.wo:(pl+1)*p.ho*p.wo]
					p.gradient(x, y, d, dx)
				}
			})
			return out, nil
		}
		dx, err := g.apply(inputs[0], y, dy)
		return G.Nodes{dx}, err
	}
	return op.apply(x)
}

type poolGeom struct {
	planes, h, w, ho, wo int
	k, stride, pad       int
}

// plane writes each window's maximum in one h×w plane to y: the forward
// pass of windows other than forward3's.
func (p poolGeom) plane(x, y []float32) {
	for oh := 0; oh < p.ho; oh++ {
		h0, h1 := p.window(oh, p.h)
		for ow := 0; ow < p.wo; ow++ {
			w0, w1 := p.window(ow, p.w)
			best, _ := windowMax(x, p.w, h0, h1, w0, w1)
			y[oh*p.wo+ow] = best
		}
	}
}

// window is the input range [lo, hi) that output index o's window covers
// along a side of n inputs, clipped to the plane.
func (p poolGeom) window(o, n int) (lo, hi int) {
	lo = o*p.stride - p.pad
	return max(lo, 0), min(lo+p.k, n)
}

// windowMax is the maximum of rows [h0,h1) and columns [w0,w1) of a plane
// w wide, and the index of its first place in row-major order.
func windowMax(x []float32, w, h0, h1, w0, w1 int) (float32, int) {
	best, at := float32(math.Inf(-1)), h0*w+w0
	for ih := h0; ih < h1; ih++ {
		for j, v := range x[ih*w+w0 : ih*w+w1] {
			if v > best {
				best, at = v, ih*w+w0+j
			}
		}
	}
	return best, at
}

// gradient adds each window's dy onto dx at the first place in row-major
// order where x holds the window's maximum y (ties go to the first, as in
// gorgonia and PyTorch). Windows inside the plane take a fast path for
// 3×3 windows: nine comparisons with the known maximum made into a bit
// mask whose lowest set bit is the place, with no branch on the data (the
// comparisons are unpredictable: Go compiles a float equality into
// branches, and recomputing the maximum made a chain of nine dependent
// comparisons; either took twice the time). Where x has no value equal to
// y (a NaN), the window's first place takes the gradient.
func (p poolGeom) gradient(x, y, dy, dx []float32) {
	// Output columns [owLo, owHi) have windows inside the plane's width.
	owLo := min((p.pad+p.stride-1)/p.stride, p.wo)
	owHi := max(min((p.w-p.k+p.pad)/p.stride+1, p.wo), owLo)
	w := p.w
	for oh := 0; oh < p.ho; oh++ {
		h0, h1 := p.window(oh, p.h)
		row := oh * p.wo
		ys, dys := y[row:row+p.wo], dy[row:row+p.wo]
		ow := 0
		if h1-h0 == 3 && p.k == 3 {
			for ; ow < owLo; ow++ {
				w0, w1 := p.window(ow, w)
				_, at := windowMax(x, w, h0, h1, w0, w1)
				dx[at] += dys[ow]
			}
			base := h0 * w
			r0, r1, r2 := x[base:base+w], x[base+w:base+2*w], x[base+2*w:base+3*w]
			offsets := [10]int{0, 1, 2, w, w + 1, w + 2, 2 * w, 2*w + 1, 2*w + 2, 0}
			// In output order, so overlapping windows add onto dx in the
			// order they always did (a phase of non-overlapping windows at
			// a time measured no faster and changed the sums' rounding).
			for o := ow; o < owHi; o++ {
				c := o*p.stride - p.pad
				v := ys[o]
				_, _, _ = r0[c+2], r1[c+2], r2[c+2]
				// Bit i is set where the window's i-th value (row-major)
				// reaches the maximum; the lowest set bit is the first
				// place. Bit 9 stands for "none" (a NaN maximum) and
				// points at the window's first value.
				m := b2u(r0[c] >= v) | b2u(r0[c+1] >= v)<<1 | b2u(r0[c+2] >= v)<<2 |
					b2u(r1[c] >= v)<<3 | b2u(r1[c+1] >= v)<<4 | b2u(r1[c+2] >= v)<<5 |
					b2u(r2[c] >= v)<<6 | b2u(r2[c+1] >= v)<<7 | b2u(r2[c+2] >= v)<<8 | 1<<9
				dx[base+c+offsets[bits.TrailingZeros32(m)]] += dys[o]
			}
			ow = owHi
		}
		for ; ow < p.wo; ow++ {
			w0, w1 := p.window(ow, w)
			_, at := windowMax(x, w, h0, h1, w0, w1)
			dx[at] += dys[ow]
		}
	}
}

// forward3 is plane's forward pass for 3×3 windows with padding 1 (the
// ResNet stem's): the maximum over each window's rows first, for a whole
// row at once eight values at a time (simd.Max3), then over three
// neighbours in that row. The maximum alone needs no index: the gradient
// finds the place again from the input and this output (gradient).
func (p poolGeom) forward3(x, y, rows []float32) {
	w := p.w
	row := func(ih int) []float32 { return x[ih*w : (ih+1)*w] }
	for oh := 0; oh < p.ho; oh++ {
		h0 := oh*p.stride - 1
		h1 := min(h0+3, p.h)
		h0 = max(h0, 0)
		switch h1 - h0 {
		case 3:
			simd.Max3(rows, row(h0), row(h0+1), row(h0+2))
		case 2:
			simd.Max3(rows, row(h0), row(h0+1), row(h0+1))
		default:
			copy(rows, row(h0))
		}
		out := y[oh*p.wo : (oh+1)*p.wo]
		for ow := range out {
			c0 := ow*p.stride - 1
			if c0 >= 0 && c0+2 < w {
				out[ow] = max(rows[c0], rows[c0+1], rows[c0+2])
				continue
			}
			lo, hi := max(c0, 0), min(c0+3, w)
			m := rows[lo]
			for _, v := range rows[lo+1 : hi] {
				m = max(m, v)
			}
			out[ow] = m
		}
	}
}

// b2u is 1 if c, else 0, without a branch.
func b2u(c bool) uint32 {
	if c {
		return 1
	}
	return 0
}
