package augment

import (
	"image"
	"math"
)

// affine maps output pixel indices (x, y) to source coordinates
// (a·x + b·y + c, d·x + e·y + f), in pixel-centre units.
type affine struct{ a, b, c, d, e, f float64 }

// snap rounds coefficients that are integers up to floating-point noise
// (cos 90° = 6e-17) so that right-angle turns and flips copy pixels
// exactly instead of blending neighbours by 1e-16.
func snap(v float64) float64 {
	if r := math.Round(v); math.Abs(v-r) < 1e-9 {
		return r
	}
	return v
}

// warpMatrix builds the single affine map for an output of size×size
// viewing src through t: the output centre maps to the source centre, and
// the identity transform shows the central square of side min(w, h)
// scaled to size, the same picture as Resize(size)+CenterCrop(size).
// Composing everything into one matrix means the image is resampled once.
//
// With a random-resized crop, the output views the crop instead, scaled
// per axis to size×size (torchvision's RandomResizedCrop), the other
// transforms turning about the crop's centre.
func warpMatrix(srcW, srcH, size int, t Transform) affine {
	kx := float64(min(srcW, srcH)) / float64(size)
	ky := kx
	cx, cy := float64(srcW-1)/2, float64(srcH-1)/2
	if t.Crop != nil {
		x, y, cw, ch := t.Crop.rect(srcW, srcH)
		kx, ky = cw/float64(size), ch/float64(size)
		cx, cy = x+cw/2-0.5, y+ch/2-0.5
	}
	m := t.linear()
	a, b := snap(kx*m[0][0]), snap(kx*m[0][1])
	d, e := snap(ky*m[1][0]), snap(ky*m[1][1])
	co := float64(size-1) / 2
	return affine{
		a: a, b: b, c: cx - (a*co + b*co),
		d: d, e: e, f: cy - (d*co + e*co),
	}
}

// warpInto resamples src through m into dst (3 planes of size×size, CHW),
// bilinearly, repeating edge pixels outside src, applying the photometric
// jitter and the normalisation in the same pass. This is the loader's hot
// loop: it reads the NRGBA bytes directly and touches each output value
// once.
func warpInto(dst []float32, size int, src *image.NRGBA, m affine, pm pixelMap, j jitter) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pix := src.Pix
	stride := src.Stride
	plane := size * size
	d0, d1, d2 := dst[:plane:plane], dst[plane:2*plane:2*plane], dst[2*plane:3*plane:3*plane]
	o0, o1, o2 := pm.src[0], pm.src[1], pm.src[2]
	s0, s1, s2 := pm.scale[0], pm.scale[1], pm.scale[2]
	b0, b1, b2 := pm.bias[0], pm.bias[1], pm.bias[2]
	if j.on {
		// Jittered values must be clipped to 0..255 before normalising,
		// so sample raw values here and normalise in applyJitter.
		s0, s1, s2 = 1, 1, 1
		b0, b1, b2 = 0, 0, 0
	}
	maxX, maxY := float64(w-1), float64(h-1)
	lastX, lastY := w-1, h-1
	i := 0
	for y := range size {
		fy := float64(y)
		rx := m.b*fy + m.c
		ry := m.e*fy + m.f
		for x := range size {
			fx := float64(x)
			sx := m.a*fx + rx
			sy := m.d*fx + ry
			// Keras "nearest" fill: clamp to the edge.
			sx = min(max(sx, 0), maxX)
			sy = min(max(sy, 0), maxY)
			x0, y0 := int(sx), int(sy)
			tx, ty := float32(sx-float64(x0)), float32(sy-float64(y0))
			dx := 4
			if x0 >= lastX {
				dx = 0
			}
			dy := stride
			if y0 >= lastY {
				dy = 0
			}
			p00 := y0*stride + x0*4
			p01 := p00 + dx
			p10 := p00 + dy
			p11 := p10 + dx
			d0[i] = bilerp(pix, p00, p01, p10, p11, o0, tx, ty)*s0 + b0
			d1[i] = bilerp(pix, p00, p01, p10, p11, o1, tx, ty)*s1 + b1
			d2[i] = bilerp(pix, p00, p01, p10, p11, o2, tx, ty)*s2 + b2
			i++
		}
	}
	if j.on {
		applyJitter(dst[:3*plane], plane, pm, j)
	}
}

// bilerp samples channel o at four byte offsets. With tx = ty = 0 it
// returns the first pixel exactly.
func bilerp(pix []uint8, p00, p01, p10, p11, o int, tx, ty float32) float32 {
	v00 := float32(pix[p00+o])
	v01 := float32(pix[p01+o])
	v10 := float32(pix[p10+o])
	v11 := float32(pix[p11+o])
	top := v00 + tx*(v01-v00)
	bot := v10 + tx*(v11-v10)
	return top + ty*(bot-top)
}

// applyJitter turns 0..255 values into clipped jittered, normalised ones.
func applyJitter(dst []float32, plane int, pm pixelMap, j jitter) {
	if j.sat != 1 {
		// Saturation mixes the channels: clip the brightness and contrast
		// first, blend with the grey (ITU-R 601 luma, as torchvision), clip
		// again, then normalise.
		r, g, b := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
		for i := range r {
			vr := min(max(r[i]*j.gain+j.offset, 0), 255)
			vg := min(max(g[i]*j.gain+j.offset, 0), 255)
			vb := min(max(b[i]*j.gain+j.offset, 0), 255)
			grey := 0.299*vr + 0.587*vg + 0.114*vb
			r[i] = min(max(grey+j.sat*(vr-grey), 0), 255)*pm.scale[0] + pm.bias[0]
			g[i] = min(max(grey+j.sat*(vg-grey), 0), 255)*pm.scale[1] + pm.bias[1]
			b[i] = min(max(grey+j.sat*(vb-grey), 0), 255)*pm.scale[2] + pm.bias[2]
		}
		return
	}
	for c := range 3 {
		s, b := pm.scale[c], pm.bias[c]
		d := dst[c*plane : (c+1)*plane]
		for i, v := range d {
			v = v*j.gain + j.offset
			v = min(max(v, 0), 255)
			d[i] = v*s + b
		}
	}
}

// cropInto copies the size×size window at (x0, y0) of src into dst (CHW),
// normalising; the exact path for un-augmented images.
func cropInto(dst []float32, size int, src *image.NRGBA, x0, y0 int, pm pixelMap) {
	plane := size * size
	for c := range 3 {
		d := dst[c*plane : (c+1)*plane]
		o, s, b := pm.src[c], pm.scale[c], pm.bias[c]
		i := 0
		for y := range size {
			row := src.Pix[(y0+y)*src.Stride+x0*4+o:]
			for x := range size {
				d[i] = float32(row[4*x])*s + b
				i++
			}
		}
	}
}
