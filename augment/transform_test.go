package augment

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// render is Apply with NormNone scaled back to 0..255 for readable checks.
func render(img *image.NRGBA, size int, tr Transform) []float32 {
	out := make([]float32, 3*size*size)
	applyInto(out, img, size, tr, rawPixelMap())
	return out
}

func TestHorizontalFlipIsPixelExact(t *testing.T) {
	img := coords(10, 10)
	out := render(img, 10, Transform{Flip: true})
	for y := range 10 {
		for x := range 10 {
			want := img.NRGBAAt(9-x, y)
			i := y*10 + x
			if out[i] != float32(want.R) || out[100+i] != float32(want.G) || out[200+i] != float32(want.B) {
				t.Fatalf("(%d,%d) = %v,%v, want %v", x, y, out[i], out[100+i], want)
			}
		}
	}
}

func TestRotate90IsPixelExact(t *testing.T) {
	for _, n := range []int{9, 10} {
		img := coords(n, n)
		out := render(img, n, Transform{Rotation: 90})
		for y := range n {
			for x := range n {
				// Counter-clockwise: output (x, y) shows source (n-1-y, x),
				// so the source's top-right corner ends up top-left.
				want := img.NRGBAAt(n-1-y, x)
				i := y*n + x
				if out[i] != float32(want.R) || out[n*n+i] != float32(want.G) {
					t.Fatalf("n=%d (%d,%d) = %v,%v, want %v", n, x, y, out[i], out[n*n+i], want)
				}
			}
		}
		// -90 and +270 agree, and four quarter turns compose to identity.
		a := render(img, n, Transform{Rotation: -90})
		b := render(img, n, Transform{Rotation: 270})
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("n=%d: -90 and 270 differ at %d", n, i)
			}
		}
	}
}

func TestZoomKeepsKnownPointWhereItBelongs(t *testing.T) {
	// 21×21 black with one white dot 5 px right of centre (10,10).
	img := solid(21, 21, color.NRGBA{0, 0, 0, 255})
	img.SetNRGBA(15, 10, color.NRGBA{255, 255, 255, 255})
	// Zoom factor 0.5 magnifies 2×: the dot moves to 10 px right of centre.
	out := render(img, 21, Transform{ZoomX: 0.5, ZoomY: 0.5})
	if v := out[10*21+20]; v != 255 {
		t.Errorf("magnified dot at (20,10) = %v, want 255", v)
	}
	if v := out[10*21+15]; v != 0 {
		t.Errorf("(15,10) after magnifying = %v, want 0", v)
	}
	// Factor 2 shrinks: a dot 10 px right of centre lands 5 px right.
	img2 := solid(21, 21, color.NRGBA{0, 0, 0, 255})
	img2.SetNRGBA(20, 10, color.NRGBA{255, 255, 255, 255})
	out = render(img2, 21, Transform{ZoomX: 2, ZoomY: 2})
	if v := out[10*21+15]; v != 255 {
		t.Errorf("shrunk dot at (15,10) = %v, want 255", v)
	}
	// The zoom is anisotropic when asked: ZoomY alone leaves rows of
	// the centre column alone horizontally.
	out = render(img, 21, Transform{ZoomX: 1, ZoomY: 0.5})
	if v := out[10*21+15]; v != 255 {
		t.Errorf("ZoomY moved a point on the centre row: %v", v)
	}
}

func TestZoomOutRepeatsEdges(t *testing.T) {
	// Keras "nearest" fill: uncovered output repeats the nearest edge.
	img := coords(11, 11)
	out := render(img, 11, Transform{ZoomX: 3, ZoomY: 3})
	corner := img.NRGBAAt(0, 0)
	if out[0] != float32(corner.R) || out[121] != float32(corner.G) {
		t.Errorf("top-left = %v,%v, want the source corner %v", out[0], out[121], corner)
	}
	br := img.NRGBAAt(10, 10)
	if out[120] != float32(br.R) || out[121+120] != float32(br.G) {
		t.Errorf("bottom-right = %v,%v, want %v", out[120], out[241], br)
	}
}

func TestShearKeepsKnownPointWhereItBelongs(t *testing.T) {
	// Source rows carry their y in green (G = 4y); the shear with
	// sin(30°) = 0.5 shows, at output offset (qx, qy) from the centre,
	// source row cy + qy - qx/2 (Keras's shear, in x-right y-down terms).
	img := coords(21, 21)
	out := render(img, 21, Transform{Shear: 30})
	for _, q := range [][2]int{{4, 0}, {-4, 0}, {6, 2}, {0, 5}} {
		x, y := 10+q[0], 10+q[1]
		wantRow := 10 + float64(q[1]) - float64(q[0])/2
		if g := out[441+y*21+x]; !near(float64(g), 4*wantRow, 1e-3) {
			t.Errorf("output offset %v shows source row %v, want %v", q, g/4, wantRow)
		}
	}
	// The centre never moves, whatever the transform.
	tr := Transform{Rotation: 17, Shear: 9, ZoomX: 0.8, ZoomY: 1.1}
	out = render(img, 21, tr)
	c := img.NRGBAAt(10, 10)
	if !near(float64(out[10*21+10]), float64(c.R), 1e-3) || !near(float64(out[441+10*21+10]), float64(c.G), 1e-3) {
		t.Errorf("centre moved: %v,%v want %v", out[220], out[441+220], c)
	}
}

func TestBaseScaleMatchesResizeAndCrop(t *testing.T) {
	// A 40×20 image viewed at 10 px: the identity view spans the central
	// 20×20 square, so a point 4 px right of the source centre appears
	// 2 px right of the output centre.
	img := solid(40, 20, color.NRGBA{0, 0, 0, 255})
	// source centre (19.5, 9.5); a 4×4 white block centred at (23.5, 9.5)
	for y := 8; y < 12; y++ {
		for x := 22; x < 26; x++ {
			img.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
		}
	}
	out := render(img, 10, Transform{Rotation: 1e-7}) // force the warp path
	// output centre 4.5 → block centre at 6.5: pixels 6 and 7 of rows 4,5
	for _, p := range [][2]int{{6, 4}, {7, 5}} {
		if v := out[p[1]*10+p[0]]; v != 255 {
			t.Errorf("(%d,%d) = %v, want the block", p[0], p[1], v)
		}
	}
	if v := out[4*10+2]; v != 0 {
		t.Errorf("(2,4) = %v, want black", v)
	}
}

func TestFlipRateFollowsProbability(t *testing.T) {
	for _, p := range []float64{0, 0.3, 0.5, 1} {
		params := Params{Flip: p}
		flips := 0
		const n = 20000
		for i := range n {
			if params.Sample(ImageRand(7, 0, i)).Flip {
				flips++
			}
		}
		if rate := float64(flips) / n; math.Abs(rate-p) > 0.015 {
			t.Errorf("flip %v: rate %v", p, rate)
		}
	}
}

func TestSampleStaysInRanges(t *testing.T) {
	p := DefaultParams()
	p.Brightness, p.Contrast = 0.1, 0.2
	var minR, maxR float64
	for i := range 5000 {
		tr := p.Sample(ImageRand(1, 2, i))
		minR, maxR = min(minR, tr.Rotation), max(maxR, tr.Rotation)
		if math.Abs(tr.Rotation) > 30 || math.Abs(tr.Shear) > 0.2 ||
			tr.ZoomX < 0.8 || tr.ZoomX > 1.2 || tr.ZoomY < 0.8 || tr.ZoomY > 1.2 ||
			math.Abs(tr.Brightness-1) > 0.1 || math.Abs(tr.Contrast-1) > 0.2 {
			t.Fatalf("draw %d out of range: %+v", i, tr)
		}
	}
	if minR > -28 || maxR < 28 {
		t.Errorf("rotation spans only [%v, %v]", minR, maxR)
	}
	// Turning flips off leaves the other draws unchanged.
	q := p
	q.Flip = 0
	a, b := p.Sample(ImageRand(3, 0, 5)), q.Sample(ImageRand(3, 0, 5))
	if a.Rotation != b.Rotation || a.ZoomY != b.ZoomY || a.Contrast != b.Contrast {
		t.Error("changing one range shifted the other draws")
	}
	if (Params{}).Enabled() || !p.Enabled() {
		t.Error("Enabled is wrong")
	}
	if err := (Params{Flip: 1.5}).Validate(); err == nil {
		t.Error("flip 1.5 accepted")
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Error(err)
	}
}

func TestPhotometricJitterClips(t *testing.T) {
	img := solid(4, 4, color.NRGBA{200, 100, 10, 255})
	out := render(img, 4, Transform{Brightness: 1.5})
	if out[0] != 255 || out[16] != 150 || out[32] != 15 {
		t.Errorf("brightness 1.5: %v %v %v", out[0], out[16], out[32])
	}
	out = render(img, 4, Transform{Contrast: 2})
	// 2*(v-127.5)+127.5
	if out[0] != 255 || !near(float64(out[16]), 72.5, 1e-3) || out[32] != 0 {
		t.Errorf("contrast 2: %v %v %v", out[0], out[16], out[32])
	}
	// Through the warp path too.
	out = render(img, 4, Transform{Brightness: 1.5, Rotation: 90})
	if out[0] != 255 || out[16] != 150 {
		t.Errorf("warp + brightness: %v %v", out[0], out[16])
	}
}

func TestPreviewGrid(t *testing.T) {
	img := coords(40, 30)
	g, err := PreviewGrid(img, 5, DefaultParams(), 1, 16)
	if err != nil {
		t.Fatal(err)
	}
	// 5 tiles → 3 columns, 2 rows, 4 px gutters.
	if g.Rect.Dx() != 3*16+4*4 || g.Rect.Dy() != 2*16+3*4 {
		t.Errorf("grid %v", g.Rect.Size())
	}
	g2, _ := PreviewGrid(img, 5, DefaultParams(), 1, 16)
	for i := range g.Pix {
		if g.Pix[i] != g2.Pix[i] {
			t.Fatal("same seed, different preview")
		}
	}
	if _, err := PreviewGrid(img, 0, DefaultParams(), 1, 16); err == nil {
		t.Error("n=0 accepted")
	}
}
