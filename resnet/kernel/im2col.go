package kernel

import "github.com/reslab/reslab/resnet/kernel/simd"

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
		simd.Strided(d[lo:hi], src[lo*stride+shift:], stride)
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
	simd.Axpy(1, s[jlo:jhi], dxc[d0+jlo:d0+jhi])
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
			simd.Axpy(1, s, d[lo+shift:hi+shift])
			continue
		}
		simd.AddStrided(d[lo*stride+shift:], s, stride)
	}
}
