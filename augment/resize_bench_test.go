package augment

import (
	"image"
	"testing"
)

func syntheticYCbCr(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i * 7)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i*3), uint8(i*5)
	}
	return img
}

func BenchmarkResizeYCbCr(b *testing.B) {
	img := syntheticYCbCr(500, 667)
	for b.Loop() {
		ResizeShorter(img, 258)
	}
}

func BenchmarkResizeNRGBA(b *testing.B) {
	img := toOpaqueNRGBA(syntheticYCbCr(500, 667))
	for b.Loop() {
		ResizeShorter(img, 258)
	}
}

func BenchmarkWarp224(b *testing.B) {
	img := ResizeShorter(syntheticYCbCr(500, 667), 258)
	dst := make([]float32, 3*224*224)
	tr := Transform{Rotation: 12, Shear: 0.1, ZoomX: 0.9, ZoomY: 1.1, Flip: true}
	pm := NormImageNet.pixelMap()
	for b.Loop() {
		applyInto(dst, img, 224, tr, pm)
	}
}

// BenchmarkYCbCrToNRGBA converts what a reduced decode of a 500×375
// photograph gives (250×188, chroma at the luma's resolution) and a full
// 4:2:0 decode of it.
func BenchmarkYCbCrToNRGBA(b *testing.B) {
	for _, c := range []struct {
		name string
		img  *image.YCbCr
	}{
		{"444-250x188", image.NewYCbCr(image.Rect(0, 0, 250, 188), image.YCbCrSubsampleRatio444)},
		{"420-500x375", syntheticYCbCr(500, 375)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				ycbcrToNRGBA(c.img)
			}
		})
	}
}
