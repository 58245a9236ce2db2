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
