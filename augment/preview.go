package augment

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/disintegration/imaging"
)

// CacheScale is how much larger than the training size (shorter side) the
// loader keeps images when augmenting: the 15% margin gives rotated
// corners and zoomed-out views real picture instead of repeated edges,
// while the identity view still matches Resize+CenterCrop.
const CacheScale = 1.15

// CropCacheScale is the cache's margin under a random-resized crop: a crop
// of a quarter of the image, scaled to the training size, still has
// source pixels for every output pixel.
const CropCacheScale = 2.0

// cacheScale is how much larger than size the loader keeps images for p.
func cacheScale(p Params) float64 { return CacheScaleFor(p) }

// CacheScaleFor is how much larger than the training size (shorter side)
// the loader keeps images augmented by p (for memory estimates).
func CacheScaleFor(p Params) float64 {
	if p.Cropping() {
		return CropCacheScale
	}
	return CacheScale
}

// prepareScaled turns a decoded image into the form the loader caches for
// a given output size: shorter side exactly size when not augmenting (so
// validation is an exact crop), about scale×size when augmenting (only
// ever shrinking; small images are kept and upsampled by the warp).
func prepareScaled(img image.Image, size int, augmenting bool, scale float64) *image.NRGBA {
	if !augmenting {
		return ResizeShorter(img, size)
	}
	target := preparedSide(size, augmenting, scale)
	if b := img.Bounds(); min(b.Dx(), b.Dy()) > target {
		return ResizeShorter(img, target)
	}
	return toOpaqueNRGBA(img)
}

// preparedSide is the shorter side prepareScaled gives an image larger
// than it: what a decode for that form needs at least (DecodeOptions.MinSide).
func preparedSide(size int, augmenting bool, scale float64) int {
	if !augmenting {
		return size
	}
	return int(math.Round(scale * float64(size)))
}

// PreviewGrid renders n augmented variants of img, each size×size, as one
// grid image (columns ⌈√n⌉, 4 px grey gutters). Tile i is exactly what a
// training Loader with the same params and seed produces for sample index
// 0 in epoch i, so a preview shows what training will see.
func PreviewGrid(img image.Image, n int, p Params, seed int64, size int) (*image.NRGBA, error) {
	if n <= 0 {
		return nil, fmt.Errorf("preview: need at least one tile, got %d", n)
	}
	if size <= 0 {
		return nil, fmt.Errorf("preview: %w, got %d", ErrBadSize, size)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("preview: empty image")
	}
	base := prepareScaled(img, size, p.Enabled(), cacheScale(p))
	const gap = 4
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	W := cols*size + (cols+1)*gap
	H := rows*size + (rows+1)*gap
	grid := imaging.New(W, H, color.NRGBA{R: 64, G: 64, B: 64, A: 255})
	for i := range n {
		t := p.Sample(ImageRand(seed, i, 0))
		tile := Render(base, size, t)
		x := gap + (i%cols)*(size+gap)
		y := gap + (i/cols)*(size+gap)
		draw.Draw(grid, image.Rect(x, y, x+size, y+size), tile, image.Point{}, draw.Src)
	}
	return grid, nil
}
