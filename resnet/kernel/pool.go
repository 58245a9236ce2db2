package kernel

import (
	"fmt"
	"math"

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
// gradient recomputes the argmax from the input instead of keeping a mask.
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
					p.plane(x, y, nil, nil)
				}
			}
		})
		return out, nil
	}
	op.wrt = []bool{true}
	op.grad = func(inputs G.Nodes, _, dy *G.Node) (G.Nodes, error) {
		g := newKernelOp(name+"-grad", []int{4, 4}, 4)
		g.shape = func([]tensor.Shape) (tensor.Shape, error) { return s.Clone(), nil }
		g.forward = func(in []*tensor.Dense) (*tensor.Dense, error) {
			out := g.output(s, true) // gradients add up where windows overlap
			xs, dys, dxs := Floats(in[0]), Floats(in[1]), Floats(out)
			ParallelFor(p.planes, max(ElementGrain/(p.h*p.w), 1), func(lo, hi int) {
				for pl := lo; pl < hi; pl++ {
					dx, d := dxs[pl*p.h*p.w:(pl+1)*p.h*p.w], dys[pl*p.ho*p.wo:(pl+1)*p.ho*p.wo]
					p.plane(xs[pl*p.h*p.w:(pl+1)*p.h*p.w], nil, d, dx)
				}
			})
			return out, nil
		}
		dx, err := g.apply(inputs[0], dy)
		return G.Nodes{dx}, err
	}
	return op.apply(x)
}

type poolGeom struct {
	planes, h, w, ho, wo int
	k, stride, pad       int
}

// plane finds each window's maximum in one h×w plane and either writes it
// to y (the forward pass; dy and dx nil) or adds the window's dy onto dx at
// the maximum's place (the gradient; y nil). Windows inside the plane take
// a fast path without clipping; for 3×3 windows it is unrolled and free of
// branches on the data, whose comparisons a CPU cannot predict (half the
// time went to mispredicted branches).
func (p poolGeom) plane(x, y, dy, dx []float32) {
	emit := func(o, at int, v float32) {
		if y != nil {
			y[o] = v
		} else {
			dx[at] += dy[o]
		}
	}
	// Output columns [owLo, owHi) have windows inside the plane's width.
	owLo := min((p.pad+p.stride-1)/p.stride, p.wo)
	owHi := max(min((p.w-p.k+p.pad)/p.stride+1, p.wo), owLo)
	for oh := 0; oh < p.ho; oh++ {
		h0 := oh*p.stride - p.pad
		h1 := min(h0+p.k, p.h)
		h0 = max(h0, 0)
		inside := h1-h0 == p.k
		for ow := 0; ow < p.wo; ow++ {
			if inside && ow == owLo && p.k == 3 {
				row := oh * p.wo
				for ; ow < owHi; ow++ {
					best, at := max3x3(x, h0*p.w+ow*p.stride-p.pad, p.w)
					if y != nil {
						y[row+ow] = best
					} else {
						dx[at] += dy[row+ow]
					}
				}
				if ow >= p.wo {
					break
				}
			}
			w0 := ow*p.stride - p.pad
			w1 := min(w0+p.k, p.w)
			w0 = max(w0, 0)
			best, at := float32(math.Inf(-1)), h0*p.w+w0
			for ih := h0; ih < h1; ih++ {
				row := x[ih*p.w+w0 : ih*p.w+w1]
				for j, v := range row {
					if v > best {
						best, at = v, ih*p.w+w0+j
					}
				}
			}
			emit(oh*p.wo+ow, at, best)
		}
	}
}

// forward3 is plane's forward pass for 3×3 windows with padding 1 (the
// ResNet stem's): the maximum over each window's rows first, for a whole
// row at once eight values at a time (simd.Max3), then over three
// neighbours in that row. The maximum alone needs no index, which the
// gradient finds again from the input (plane).
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

// max3x3 is the maximum of the 3×3 window whose top-left value is x[i] in
// rows w apart, and its index; ties go to the first in row-major order. The
// index is chosen by conditional moves and the maximum by max, so nothing
// branches on the values.
func max3x3(x []float32, i, w int) (float32, int) {
	r0, r1, r2 := x[i:i+3], x[i+w:i+w+3], x[i+2*w:i+2*w+3]
	best, at := r0[0], i
	at = pick(r0[1] > best, i+1, at)
	best = max(best, r0[1])
	at = pick(r0[2] > best, i+2, at)
	best = max(best, r0[2])
	at = pick(r1[0] > best, i+w, at)
	best = max(best, r1[0])
	at = pick(r1[1] > best, i+w+1, at)
	best = max(best, r1[1])
	at = pick(r1[2] > best, i+w+2, at)
	best = max(best, r1[2])
	at = pick(r2[0] > best, i+2*w, at)
	best = max(best, r2[0])
	at = pick(r2[1] > best, i+2*w+1, at)
	best = max(best, r2[1])
	at = pick(r2[2] > best, i+2*w+2, at)
	best = max(best, r2[2])
	return best, at
}

// pick is a if c, else b: written so the compiler makes it a conditional
// move.
func pick(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}
