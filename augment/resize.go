package augment

import (
	"image"
	"math"
)

// This file holds reslab's own resizer. imaging.Resize is general (any
// image, any filter, alpha-weighted, float64) and was half of the cold
// loading time in profiles; this one does only what reslab needs —
// opaque images, one triangle filter (imaging.Linear's, widened when
// shrinking so downscaling is antialiased like PIL's bilinear), float32 —
// and resizes JPEG's YCbCr planes before converting to RGB, so the full
// size image is never converted pixel by pixel. Training and prediction
// both use it, so they see the same pixels.

// weights are a separable filter's taps: output i reads n[i] source
// samples from start[i] with weights w[off[i]:off[i]+n[i]].
type weights struct {
	start, n, off []int
	w             []float32
}

// triangleWeights computes the taps for resampling src samples to dst
// samples with pixel centres aligned: output i is centred on source
// coordinate (i+0.5)·src/dst − 0.5.
func triangleWeights(dst, src int) weights {
	du := float64(src) / float64(dst)
	scale := max(du, 1)
	ru := math.Ceil(scale)
	ws := weights{
		start: make([]int, dst), n: make([]int, dst), off: make([]int, dst),
		w: make([]float32, 0, dst*(2*int(ru)+1)),
	}
	for i := range dst {
		fu := (float64(i)+0.5)*du - 0.5
		begin := max(int(math.Ceil(fu-ru)), 0)
		end := min(int(math.Floor(fu+ru)), src-1)
		off := len(ws.w)
		first := -1
		var sum float64
		for u := begin; u <= end; u++ {
			w := 1 - math.Abs(float64(u)-fu)/scale
			if w <= 0 {
				if first < 0 {
					continue
				}
				break
			}
			if first < 0 {
				first = u
			}
			ws.w = append(ws.w, float32(w))
			sum += w
		}
		if first < 0 {
			// fu lies beyond the last sample (upscaling at an edge):
			// take the nearest one.
			first = min(max(int(math.Round(fu)), 0), src-1)
			ws.w = append(ws.w, 1)
			sum = 1
		}
		for k := off; k < len(ws.w); k++ {
			ws.w[k] = float32(float64(ws.w[k]) / sum)
		}
		ws.start[i], ws.n[i], ws.off[i] = first, len(ws.w)-off, off
	}
	return ws
}

// fixedTaps are weights with the same number of taps for every output:
// output i reads taps samples from start[i] with w[i*taps:(i+1)*taps],
// the filter's own taps with zeros around them where it has fewer, or
// where its first tap moved back so that all of them lie in the source.
type fixedTaps struct {
	taps  int
	start []int
	w     []float32
}

// fixed lays ws out as fixedTaps over src samples. The zeros change no
// sum: every product is +0 or positive, and adding +0 to either leaves it.
func (ws weights) fixed(src int) fixedTaps {
	taps := 0
	for _, n := range ws.n {
		taps = max(taps, n)
	}
	f := fixedTaps{taps: taps, start: make([]int, len(ws.n)), w: make([]float32, len(ws.n)*taps)}
	for i, n := range ws.n {
		start := min(ws.start[i], src-taps)
		f.start[i] = start
		copy(f.w[i*taps+ws.start[i]-start:], ws.w[ws.off[i]:ws.off[i]+n])
	}
	return f
}

// verticalTaps sets acc[i] to Σ_k ws[k]·src[(first+k)·stride + i], summed
// in order of k: two to four rows' taps in one pass instead of a pass over
// acc per row.
func verticalTaps(acc []float32, src []uint8, stride, first int, ws []float32) {
	n := len(acc)
	row := func(k int) []uint8 { return src[(first+k)*stride:][:n] }
	switch len(ws) {
	case 2:
		w0, w1 := ws[0], ws[1]
		r0, r1 := row(0), row(1)
		for i := range acc {
			acc[i] = w0*float32(r0[i]) + w1*float32(r1[i])
		}
		return
	case 3:
		w0, w1, w2 := ws[0], ws[1], ws[2]
		r0, r1, r2 := row(0), row(1), row(2)
		for i := range acc {
			acc[i] = w0*float32(r0[i]) + w1*float32(r1[i]) + w2*float32(r2[i])
		}
		return
	case 4:
		w0, w1, w2, w3 := ws[0], ws[1], ws[2], ws[3]
		r0, r1, r2, r3 := row(0), row(1), row(2), row(3)
		for i := range acc {
			acc[i] = w0*float32(r0[i]) + w1*float32(r1[i]) + w2*float32(r2[i]) + w3*float32(r3[i])
		}
		return
	}
	for k, wk := range ws {
		r := row(k)
		if k == 0 {
			for i, v := range r {
				acc[i] = wk * float32(v)
			}
			continue
		}
		for i, v := range r {
			acc[i] += wk * float32(v)
		}
	}
}

// horizontalTaps filters the row acc into out (one byte per sample) with
// f, unrolled for the two to four taps of mild shrinking, summed in order
// of the taps as the loop over them does.
func horizontalTaps(out []uint8, acc []float32, f *fixedTaps) {
	switch f.taps {
	case 2:
		for x := range out {
			p, w := acc[f.start[x]:][:2], f.w[2*x:][:2]
			out[x] = clampByte(w[0]*p[0] + w[1]*p[1])
		}
		return
	case 3:
		for x := range out {
			p, w := acc[f.start[x]:][:3], f.w[3*x:][:3]
			out[x] = clampByte(w[0]*p[0] + w[1]*p[1] + w[2]*p[2])
		}
		return
	case 4:
		for x := range out {
			p, w := acc[f.start[x]:][:4], f.w[4*x:][:4]
			out[x] = clampByte(w[0]*p[0] + w[1]*p[1] + w[2]*p[2] + w[3]*p[3])
		}
		return
	}
	for x := range out {
		p, w := acc[f.start[x]:][:f.taps], f.w[f.taps*x:][:f.taps]
		var a float32
		for k, wk := range w {
			a += wk * p[k]
		}
		out[x] = clampByte(a)
	}
}

// clampByte rounds a filtered value to 8 bits.
func clampByte(v float32) uint8 {
	// Truncation after +0.5 rounds; values below -0.5 truncate towards
	// zero and are clamped like the rest. Integer min/max compile to
	// branch-free moves, faster here than float compares.
	n := int32(v + 0.5)
	return uint8(min(max(n, 0), 255))
}

// resample resizes a uint8 image from sw×sh to dw×dh. With bpp 1 it is a
// single plane; with bpp 4 it is RGBX (NRGBA), whose first three channels
// are resampled and whose fourth byte in dst is left alone. It filters
// vertically first, into one float32 row, then horizontally from that
// row: the vertical pass streams whole rows, the cheapest loop there is,
// and no full-size intermediate image is needed.
func resample(src []uint8, sw, sh, sstride int, dst []uint8, dw, dh, dstride, bpp int) {
	rowLen := sw * bpp
	acc := make([]float32, rowLen)
	var vw, hw weights
	if dh != sh {
		vw = triangleWeights(dh, sh)
	}
	var hf fixedTaps
	if dw != sw {
		hw = triangleWeights(dw, sw)
		if bpp == 1 {
			hf = hw.fixed(sw)
		}
	}
	for y := range dh {
		if dh == sh {
			r := src[y*sstride : y*sstride+rowLen]
			a := acc[:len(r)]
			for i, v := range r {
				a[i] = float32(v)
			}
		} else {
			verticalTaps(acc[:rowLen], src, sstride, vw.start[y], vw.w[vw.off[y]:vw.off[y]+vw.n[y]])
		}
		out := dst[y*dstride:]
		switch {
		case bpp == 1 && dw == sw:
			out = out[:dw]
			for x, v := range acc[:dw] {
				out[x] = clampByte(v)
			}
		case bpp == 1:
			horizontalTaps(out[:dw], acc[:sw], &hf)
		case bpp == 4 && dw == sw:
			out = out[:4*dw]
			for x := range dw {
				o := out[4*x : 4*x+3 : 4*x+3]
				p := acc[4*x : 4*x+3 : 4*x+3]
				o[0], o[1], o[2] = clampByte(p[0]), clampByte(p[1]), clampByte(p[2])
			}
		case bpp == 4:
			out = out[:4*dw]
			for x := range dw {
				ws := hw.w[hw.off[x] : hw.off[x]+hw.n[x]]
				p := acc[4*hw.start[x]:][:4*len(ws)]
				var a0, a1, a2 float32
				for k, wk := range ws {
					q := p[4*k : 4*k+3 : 4*k+3]
					a0 += wk * q[0]
					a1 += wk * q[1]
					a2 += wk * q[2]
				}
				o := out[4*x : 4*x+3 : 4*x+3]
				o[0], o[1], o[2] = clampByte(a0), clampByte(a1), clampByte(a2)
			}
		default:
			panic("augment: resample supports 1 or 4 bytes per pixel")
		}
	}
}

// resizeTo resizes any image to an opaque w×h *image.NRGBA. JPEG's YCbCr
// and grey images are resized plane by plane and converted at the small
// size; everything else is made opaque NRGBA first. An image already w×h
// is converted (or returned as it is when it is opaque NRGBA).
func resizeTo(img image.Image, w, h int) *image.NRGBA {
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		return toOpaqueNRGBA(img)
	}
	switch s := img.(type) {
	case *image.YCbCr:
		if sx, sy, ok := chromaFactors(s.SubsampleRatio); ok && b.Min == (image.Point{}) {
			return resizeYCbCr(s, sx, sy, w, h)
		}
	case *image.Gray:
		if b.Min == (image.Point{}) {
			plane := make([]uint8, w*h)
			resample(s.Pix, b.Dx(), b.Dy(), s.Stride, plane, w, h, w, 1)
			out := image.NewNRGBA(image.Rect(0, 0, w, h))
			for i, v := range plane {
				p := out.Pix[4*i : 4*i+4 : 4*i+4]
				p[0], p[1], p[2], p[3] = v, v, v, 255
			}
			return out
		}
	}
	src := toOpaqueNRGBA(img)
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	resample(src.Pix, src.Rect.Dx(), src.Rect.Dy(), src.Stride, out.Pix, w, h, out.Stride, 4)
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 255
	}
	return out
}

// chromaFactors gives the horizontal and vertical chroma subsampling.
func chromaFactors(r image.YCbCrSubsampleRatio) (int, int, bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// resizeYCbCr resizes the luma and both chroma planes to w×h (chroma
// samples taken as centred on the luma pixels they cover, JPEG's siting),
// then converts to RGB with the JFIF equations of image/color.
func resizeYCbCr(s *image.YCbCr, sx, sy, w, h int) *image.NRGBA {
	W, H := s.Rect.Dx(), s.Rect.Dy()
	cw, ch := (W+sx-1)/sx, (H+sy-1)/sy
	n := w * h
	planes := make([]uint8, 3*n)
	yp, cbp, crp := planes[:n], planes[n:2*n], planes[2*n:]
	resample(s.Y, W, H, s.YStride, yp, w, h, w, 1)
	resample(s.Cb, cw, ch, s.CStride, cbp, w, h, w, 1)
	resample(s.Cr, cw, ch, s.CStride, crp, w, h, w, 1)
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	pix := out.Pix
	for i := range n {
		r, g, b := ycbcrToRGB(yp[i], cbp[i], crp[i])
		p := pix[4*i : 4*i+4 : 4*i+4]
		p[0], p[1], p[2], p[3] = r, g, b, 255
	}
	return out
}

// ycbcrToRGB is image/color.YCbCrToRGB, copied so that it inlines in the
// conversion loop.
// ycbcrToNRGBA converts a YCbCr image to NRGBA at origin (0,0) with
// imaging.Clone's arithmetic (ycbcrToRGB), without its generic scanner,
// which took a tenth of a reduced JPEG decode's time. Rows of 4:4:4 (what
// a reduced decode gives) and of horizontally halved chroma (4:2:2, 4:2:0)
// are converted from row slices, without working out each pixel's chroma
// offset: a third less time (BenchmarkYCbCrToNRGBA, 182 → 120 µs at
// 250×188).
func ycbcrToNRGBA(m *image.YCbCr) *image.NRGBA {
	b := m.Rect
	w := b.Dx()
	out := image.NewNRGBA(image.Rect(0, 0, w, b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := out.Pix[(y-b.Min.Y)*out.Stride:][:4*w]
		ys := m.Y[m.YOffset(b.Min.X, y):][:w]
		c0 := m.COffset(b.Min.X, y)
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio444:
			cbs, crs := m.Cb[c0:][:w], m.Cr[c0:][:w]
			for x, yv := range ys {
				o := row[4*x:][:4]
				o[0], o[1], o[2] = ycbcrToRGB(yv, cbs[x], crs[x])
				o[3] = 255
			}
		case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
			// Chroma sample (x+odd)/2 of the row, where odd says whether the
			// image starts on the second pixel of a chroma pair.
			odd := b.Min.X & 1
			n := (w + odd + 1) / 2
			cbs, crs := m.Cb[c0:][:n], m.Cr[c0:][:n]
			for x, yv := range ys {
				c := (x + odd) >> 1
				o := row[4*x:][:4]
				o[0], o[1], o[2] = ycbcrToRGB(yv, cbs[c], crs[c])
				o[3] = 255
			}
		default:
			for x := range w {
				ci := m.COffset(b.Min.X+x, y)
				o := row[4*x:][:4]
				o[0], o[1], o[2] = ycbcrToRGB(ys[x], m.Cb[ci], m.Cr[ci])
				o[3] = 255
			}
		}
	}
	return out
}

func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	if uint32(r)&0xff000000 == 0 {
		r >>= 16
	} else {
		r = ^(r >> 31)
	}
	g := yy1 - 22554*cb1 - 46802*cr1
	if uint32(g)&0xff000000 == 0 {
		g >>= 16
	} else {
		g = ^(g >> 31)
	}
	b := yy1 + 116130*cb1
	if uint32(b)&0xff000000 == 0 {
		b >>= 16
	} else {
		b = ^(b >> 31)
	}
	return uint8(r), uint8(g), uint8(b)
}
