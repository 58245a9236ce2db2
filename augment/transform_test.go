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

// The random-resized crop follows torchvision's get_params: an area share
// within the scale range, an aspect ratio within the ratio range, inside
// the image; when no try fits, the centre at the ratio's nearer end.
func TestCropRectFollowsTorchvision(t *testing.T) {
	p := Params{CropScale: [2]float64{0.08, 1}, CropRatio: [2]float64{3.0 / 4, 4.0 / 3}}
	for i := range 200 {
		tr := p.Sample(ImageRand(1, 0, i))
		x, y, cw, ch := tr.Crop.rect(400, 300)
		if x < 0 || y < 0 || x+cw > 400 || y+ch > 300 || cw < 1 || ch < 1 {
			t.Fatalf("crop %v,%v %v×%v outside 400×300", x, y, cw, ch)
		}
		// Rounding moves area and ratio a little off the drawn values.
		if a := cw * ch / (400 * 300); a < 0.07 || a > 1.01 {
			t.Errorf("area share %v outside the scale range", a)
		}
		if r := cw / ch; r < 0.7 || r > 1.4 {
			t.Errorf("aspect %v outside the ratio range", r)
		}
	}
	// Nothing fits (a thin 1000×10 image, square crops of all of it):
	// the centre, as wide as the ratio allows.
	c := &cropDraw{scale: [2]float64{1, 1}, ratio: [2]float64{1, 1}}
	if x, y, cw, ch := c.rect(1000, 10); x != 495 || y != 0 || cw != 10 || ch != 10 {
		t.Errorf("fallback crop %v,%v %v×%v, want the centre 10×10 at 495", x, y, cw, ch)
	}
}

// A crop of the whole image at its own aspect ratio scales all of it to
// size×size: the left edge's colour at the left, the right edge's at the
// right, whatever the image's shape.
func TestCropOfWholeImageScalesItAll(t *testing.T) {
	img := coords(40, 20) // R = 4x, G = 4y
	c := &cropDraw{scale: [2]float64{1, 1}, ratio: [2]float64{2, 2}}
	out := render(img, 10, Transform{Crop: c})
	left, right := out[5*10+0], out[5*10+9]
	wantL, wantR := float32(img.NRGBAAt(0, 10).R), float32(img.NRGBAAt(39, 10).R)
	if math.Abs(float64(left-wantL)) > 8 || math.Abs(float64(right-wantR)) > 8 {
		t.Errorf("whole-image crop: left %v right %v, want about %v and %v", left, right, wantL, wantR)
	}
	// Without the crop the same image shows only its central square.
	if plain := render(img, 10, Transform{}); math.Abs(float64(plain[5*10+0]-wantL)) < 20 {
		t.Errorf("the centre view already showed the left edge: %v", plain[5*10+0])
	}
}

// Saturation near zero leaves a grey image (the three channels equal);
// saturation 1 changes nothing.
func TestSaturation(t *testing.T) {
	img := solid(4, 4, color.NRGBA{200, 100, 10, 255})
	out := render(img, 4, Transform{Saturation: 1e-9})
	grey := float32(0.299*200 + 0.587*100 + 0.114*10)
	for _, v := range []float32{out[0], out[16], out[32]} {
		if math.Abs(float64(v-grey)) > 0.01 {
			t.Errorf("desaturated channels %v %v %v, want all %v", out[0], out[16], out[32], grey)
		}
	}
	if same := render(img, 4, Transform{Saturation: 1}); same[0] != 200 || same[16] != 100 || same[32] != 10 {
		t.Errorf("saturation 1 changed the image: %v %v %v", same[0], same[16], same[32])
	}
}

// Turning the new augmentations on leaves the older ones' draws, for the
// same seed, as they were.
func TestNewAugmentationsKeepOldDraws(t *testing.T) {
	old := DefaultParams()
	more := old
	more.Saturation, more.CropScale = 0.3, [2]float64{0.25, 1}
	for i := range 20 {
		a, b := old.Sample(ImageRand(7, 2, i)), more.Sample(ImageRand(7, 2, i))
		if a.Rotation != b.Rotation || a.Shear != b.Shear || a.ZoomX != b.ZoomX || a.Flip != b.Flip {
			t.Fatalf("draw %d changed: %+v vs %+v", i, a, b)
		}
	}
}
