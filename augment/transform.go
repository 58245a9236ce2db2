package augment

import (
	"errors"
	"math"
	"math/rand/v2"

	"github.com/reslab/reslab/internal/setting"
)

// Params are the ranges random training augmentations are drawn from.
// The zero value means no augmentation. Ranges follow Keras's
// ImageDataGenerator, which the reference recipe used, so a Keras recipe
// can be copied over number for number:
//
//   - Rotation: angle in degrees drawn from [-Rotation, Rotation].
//   - Shear: shear angle in degrees drawn from [-Shear, Shear], as Keras
//     ≥ 2.2 and tf.keras define shear_range. The reference's 0.2 is
//     therefore 0.2°, almost no shear; that is what the recipe did when it
//     ran on a current Keras. (Keras before 2.2 read shear_range as
//     radians, 0.2 ≈ 11.5°; pass 11.5 for that look.) Like Keras, the
//     shear displaces rows as x grows: a vertical shear of the picture.
//   - Zoom: the horizontal and vertical zoom factors are drawn
//     independently from [1-Zoom, 1+Zoom], as Keras does with a float
//     zoom_range. A factor below 1 magnifies (a smaller region fills the
//     output), above 1 shrinks.
//   - Flip: probability of a horizontal flip (Keras horizontal_flip=True
//     is 0.5).
//   - Brightness, Contrast: optional photometric jitter, factors drawn
//     from [1-x, 1+x]; brightness multiplies pixel values, contrast
//     stretches them around mid-grey (127.5). Results are clipped to
//     0..255 like a real image.
//
// Pixels uncovered by the transform repeat the nearest edge pixel (Keras
// fill_mode "nearest"); sampling is bilinear (Keras order 1).
type Params struct {
	Rotation   float64 `json:"rotation"`
	Shear      float64 `json:"shear"`
	Zoom       float64 `json:"zoom"`
	Flip       float64 `json:"flip"`
	Brightness float64 `json:"brightness,omitempty"`
	Contrast   float64 `json:"contrast,omitempty"`
}

// DefaultParams is the reference recipe's augmentation: rotation 30°,
// shear 0.2°, zoom 0.2, horizontal flip half the time.
func DefaultParams() Params {
	return Params{Rotation: 30, Shear: 0.2, Zoom: 0.2, Flip: 0.5}
}

// ErrBadParams is wrapped by Params.Validate errors.
var ErrBadParams = errors.New("bad augmentation parameters")

// Validate checks the ranges make sense; it names the first bad field.
func (p Params) Validate() error {
	check := func(name string, v, lo, hi float64) error {
		if math.IsNaN(v) || v < lo || v > hi {
			return setting.Errorf(name, ErrBadParams, "%s %v is outside [%v, %v]", name, v, lo, hi)
		}
		return nil
	}
	return errors.Join(
		check("rotation", p.Rotation, 0, 180),
		check("shear", p.Shear, 0, 80),
		check("zoom", p.Zoom, 0, 0.95),
		check("flip", p.Flip, 0, 1),
		check("brightness", p.Brightness, 0, 1),
		check("contrast", p.Contrast, 0, 1),
	)
}

// Enabled reports whether p changes images at all.
func (p Params) Enabled() bool { return p != Params{} }

// Sample draws one Transform. It always consumes the same number of
// random values whatever the ranges are, so turning one augmentation off
// leaves the draws of the others unchanged for a given seed.
func (p Params) Sample(r *rand.Rand) Transform {
	u := func(x float64) float64 { return (2*r.Float64() - 1) * x }
	t := Transform{
		Rotation:   u(p.Rotation),
		Shear:      u(p.Shear),
		ZoomX:      1 + u(p.Zoom),
		ZoomY:      1 + u(p.Zoom),
		Flip:       r.Float64() < p.Flip,
		Brightness: 1 + u(p.Brightness),
		Contrast:   1 + u(p.Contrast),
	}
	return t
}

// Transform is one drawn augmentation. Its zero value is the identity
// (zero zoom, brightness and contrast factors are read as 1).
type Transform struct {
	// Rotation in degrees; positive turns the picture counter-clockwise
	// as seen on screen.
	Rotation float64
	// Shear angle in degrees (Keras convention, see Params).
	Shear float64
	// ZoomX, ZoomY are Keras zoom factors: the size of the source region
	// relative to the output; below 1 magnifies.
	ZoomX, ZoomY float64
	// Flip mirrors the output left to right.
	Flip bool
	// Brightness and Contrast are multiplicative factors.
	Brightness, Contrast float64
}

// Identity is the transform that leaves an image as it is.
func Identity() Transform { return Transform{} }

func one(v float64) float64 {
	if v == 0 {
		return 1
	}
	return v
}

// IsIdentity reports whether t changes nothing.
func (t Transform) IsIdentity() bool {
	return t.Rotation == 0 && t.Shear == 0 && one(t.ZoomX) == 1 && one(t.ZoomY) == 1 &&
		!t.Flip && !t.photometric()
}

func (t Transform) photometric() bool {
	return one(t.Brightness) != 1 || one(t.Contrast) != 1
}

// geometric reports whether t moves pixels.
func (t Transform) geometric() bool {
	return t.Rotation != 0 || t.Shear != 0 || one(t.ZoomX) != 1 || one(t.ZoomY) != 1 || t.Flip
}

// linear returns the 2×2 matrix mapping centred output coordinates (x
// right, y down) to centred source coordinates, before the base scale:
// rotation · shear · zoom (Keras's order) applied to the optionally
// mirrored output point.
func (t Transform) linear() [2][2]float64 {
	th := t.Rotation * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	// Content turned counter-clockwise on a y-down screen: the output
	// point q shows source point R·q with R = [[c, -s], [s, c]].
	rot := [2][2]float64{{c, -s}, {s, c}}
	sh := t.Shear * math.Pi / 180
	// Keras's shear [[1, -sin], [0, cos]] acts on (row, col); in (x, y)
	// it is x' = cos·x, y' = y - sin·x.
	shear := [2][2]float64{{math.Cos(sh), 0}, {-math.Sin(sh), 1}}
	zoom := [2][2]float64{{one(t.ZoomX), 0}, {0, one(t.ZoomY)}}
	m := mul2(mul2(rot, shear), zoom)
	if t.Flip {
		m[0][0], m[1][0] = -m[0][0], -m[1][0]
	}
	return m
}

func mul2(a, b [2][2]float64) [2][2]float64 {
	return [2][2]float64{
		{a[0][0]*b[0][0] + a[0][1]*b[1][0], a[0][0]*b[0][1] + a[0][1]*b[1][1]},
		{a[1][0]*b[0][0] + a[1][1]*b[1][0], a[1][0]*b[0][1] + a[1][1]*b[1][1]},
	}
}

// jitter is the photometric part: v' = clamp(v*gain + offset, 0, 255).
type jitter struct {
	gain, offset float32
	on           bool
}

func (t Transform) jitter() jitter {
	if !t.photometric() {
		return jitter{gain: 1}
	}
	b, c := one(t.Brightness), one(t.Contrast)
	// contrast around 127.5 after brightness: c*(b*v - 127.5) + 127.5
	return jitter{gain: float32(b * c), offset: float32(127.5 * (1 - c)), on: true}
}
