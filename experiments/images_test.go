package experiments

import (
	"bytes"
	"testing"
)

func TestSampleImageRedrawsDemoImages(t *testing.T) {
	ds, err := OpenData(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ path string }{{ds.Valid.Samples[0].Path}, {ds.Valid.Samples[len(ds.Valid.Samples)-1].Path}, {ds.Train.Samples[7].Path}} {
		img, err := SampleImage(Spec{}, s.path)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for _, sp := range append(ds.Valid.Samples, ds.Train.Samples...) {
			if sp.Path == s.path {
				want = sp.Image.Pix
			}
		}
		if !bytes.Equal(img.Pix, want) {
			t.Errorf("%s: pixels differ from the demo set's", s.path)
		}
	}
	for _, bad := range []string{"demo/valid/hexagon/0001.png", "demo/valid/circle/x.png", "demo/test/circle/0001.png"} {
		if _, err := SampleImage(Spec{}, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
