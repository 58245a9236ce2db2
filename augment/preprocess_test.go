package augment

import (
	"image/color"
	"strings"
	"testing"
)

func TestShorterSideSizeTruncatesLikeTorchvision(t *testing.T) {
	cases := []struct{ w, h, s, ww, wh int }{
		{30, 47, 10, 10, 15}, // 15.67 truncated
		{47, 30, 10, 15, 10},
		{500, 500, 224, 224, 224},
		{500, 667, 224, 224, 298}, // 298.8
		{10, 10, 10, 10, 10},
	}
	for _, c := range cases {
		w, h := shorterSideSize(c.w, c.h, c.s)
		if w != c.ww || h != c.wh {
			t.Errorf("%dx%d → %d: got %dx%d, want %dx%d", c.w, c.h, c.s, w, h, c.ww, c.wh)
		}
	}
}

func TestPreprocessExactSizeIsUsedAsIs(t *testing.T) {
	img := coords(12, 12)
	out, err := Preprocess(img, 12, NormNone)
	if err != nil {
		t.Fatal(err)
	}
	for y := range 12 {
		for x := range 12 {
			p := img.NRGBAAt(x, y)
			i := y*12 + x
			if !near(float64(out[i]), float64(p.R)/255, 1e-6) || !near(float64(out[144+i]), float64(p.G)/255, 1e-6) ||
				!near(float64(out[288+i]), float64(p.B)/255, 1e-6) {
				t.Fatalf("pixel (%d,%d) changed", x, y)
			}
		}
	}
}

func TestPreprocessCentreCropRoundsHalfToEven(t *testing.T) {
	// Shorter side already 10: no resize, crop offsets (h-10)/2 rounded
	// half to even as torchvision's CenterCrop does: 1.5→2, 2.5→2.
	for _, c := range []struct{ h, top int }{{13, 2}, {15, 2}, {12, 1}, {17, 4}} {
		img := coords(10, c.h)
		out, err := Preprocess(img, 10, NormNone)
		if err != nil {
			t.Fatal(err)
		}
		// green channel encodes y*4
		if got := out[100] * 255; !near(float64(got), float64(c.top*4), 1e-3) {
			t.Errorf("h=%d: first row is source row %v, want %d", c.h, got/4, c.top)
		}
	}
	// Wide image: crop left.
	img := coords(15, 10)
	out, _ := Preprocess(img, 10, NormNone)
	if got := out[0] * 255; !near(float64(got), 2*4, 1e-3) {
		t.Errorf("wide: first column is source column %v, want 2", got/4)
	}
}

func TestPreprocessResizeThenCrop(t *testing.T) {
	// 80×40: left quarter red, middle half green, right quarter blue.
	// Resize to 20×10 then crop the middle 10×10: green, except that the
	// resampling filter may bleed at most one column at each side.
	img := solid(80, 40, color.NRGBA{0, 255, 0, 255})
	for y := range 40 {
		for x := range 80 {
			switch {
			case x < 20:
				img.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
			case x >= 60:
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			}
		}
	}
	out, err := Preprocess(img, 10, NormNone)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 300 {
		t.Fatalf("len %d, want 300", len(out))
	}
	for y := range 10 {
		for x := 1; x < 9; x++ {
			i := y*10 + x
			if out[i] > 0.01 || out[100+i] < 0.99 || out[200+i] > 0.01 {
				t.Fatalf("(%d,%d) = %v %v %v, want green", x, y, out[i], out[100+i], out[200+i])
			}
		}
	}
	// And the same geometry for a tall image.
	tall := solid(40, 80, color.NRGBA{0, 255, 0, 255})
	for y := range 20 {
		for x := range 40 {
			tall.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
		}
	}
	out, _ = Preprocess(tall, 10, NormNone)
	if out[1*10+5] > 0.01 {
		t.Errorf("tall: red leaked to row 1: %v", out[15])
	}
}

func TestNormalisationValues(t *testing.T) {
	img := solid(4, 4, color.NRGBA{255, 128, 0, 255})
	want := map[Normalization][3]float64{
		NormImageNet: {(1 - 0.485) / 0.229, (128.0/255 - 0.456) / 0.224, (0 - 0.406) / 0.225},
		NormCaffe:    {255 - 123.68, 128 - 116.779, 0 - 103.939},
		NormCaffeBGR: {0 - 103.939, 128 - 116.779, 255 - 123.68},
		NormNone:     {1, 128.0 / 255, 0},
	}
	for n, w := range want {
		out, err := Preprocess(img, 4, n)
		if err != nil {
			t.Fatal(err)
		}
		for c := range 3 {
			if !near(float64(out[c*16+5]), w[c], 1e-4) {
				t.Errorf("%v channel %d = %v, want %v", n, c, out[c*16+5], w[c])
			}
			if back := n.Denormalize(c, out[c*16]); c == 0 && n != NormCaffeBGR && !near(float64(back), 255, 1e-3) {
				t.Errorf("%v: Denormalize gives %v, want 255", n, back)
			}
		}
	}
}

func TestParseNormalization(t *testing.T) {
	for _, s := range []string{"imagenet", "ImageNet", " caffe ", "caffe-bgr", "none"} {
		n, err := ParseNormalization(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if n.String() != strings.ToLower(strings.TrimSpace(s)) {
			t.Errorf("%q parsed as %v", s, n)
		}
		b, _ := n.MarshalText()
		var m Normalization
		if err := m.UnmarshalText(b); err != nil || m != n {
			t.Errorf("text round trip of %v gave %v, %v", n, m, err)
		}
	}
	_, err := ParseNormalization("torch")
	if err == nil || !strings.Contains(err.Error(), "imagenet, caffe, caffe-bgr, none") || !strings.Contains(err.Error(), "torch") {
		t.Errorf("error %v should name the value and the allowed ones", err)
	}
}

func TestPreprocessRejectsBadInput(t *testing.T) {
	if _, err := Preprocess(solid(4, 4, color.NRGBA{A: 255}), 0, NormNone); err == nil {
		t.Error("size 0 accepted")
	}
	if _, err := Preprocess(nil, 4, NormNone); err == nil {
		t.Error("nil image accepted")
	}
}
