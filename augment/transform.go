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
	// Saturation jitters colourfulness by a factor in [1-s, 1+s] (blending
	// with the grey image, as torchvision's ColorJitter).
	Saturation float64 `json:"saturation,omitempty"`
	// CropScale and CropRatio turn on torchvision's RandomResizedCrop: a
	// region of [lo, hi] of the image's area, aspect ratio in [lo, hi]
	// (log-uniform), scaled to the training size; zero is off. The other
	// transforms then apply around the crop's centre.
	CropScale [2]float64 `json:"crop_scale,omitzero"`
	CropRatio [2]float64 `json:"crop_ratio,omitzero"`
}

// Cropping says whether a random-resized crop is on.
func (p Params) Cropping() bool { return p.CropScale != [2]float64{} }

// cropAttempts is torchvision's number of tries for a crop that fits
// before it falls back to the centre.
const cropAttempts = 10

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
		check("saturation", p.Saturation, 0, 1),
		p.checkCrop(),
	)
}

func (p Params) checkCrop() error {
	if !p.Cropping() {
		if p.CropRatio != [2]float64{} {
			return setting.Errorf("crop_ratio", ErrBadParams, "crop ratio %v needs a crop scale (such as 0.08,1)", p.CropRatio)
		}
		return nil
	}
	s, r := p.CropScale, p.CropRatio
	if !(s[0] > 0 && s[0] <= s[1] && s[1] <= 1) {
		return setting.Errorf("crop_scale", ErrBadParams, "crop scale %v,%v: want 0 < low <= high <= 1, such as 0.08,1", s[0], s[1])
	}
	if r != [2]float64{} && !(r[0] > 0 && r[0] <= r[1] && r[1] < 100) {
		return setting.Errorf("crop_ratio", ErrBadParams, "crop ratio %v,%v: want 0 < low <= high, such as 0.75,1.333", r[0], r[1])
	}
	return nil
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
	// Drawn after the older settings' values, so adding these left every
	// earlier seed's augmentation as it was.
	t.Saturation = 1 + u(p.Saturation)
	var c cropDraw
	for i := range c.tries {
		c.tries[i] = [2]float64{r.Float64(), r.Float64()}
	}
	c.at = [2]float64{r.Float64(), r.Float64()}
	if p.Cropping() {
		c.scale, c.ratio = p.CropScale, p.CropRatio
		if c.ratio == [2]float64{} {
			c.ratio = [2]float64{3.0 / 4, 4.0 / 3}
		}
		t.Crop = &c
	}
	return t
}

// cropDraw is a random-resized crop's random values, drawn before the
// image's size is known: each try's area share and log aspect ratio,
// and the position of the one that fits.
type cropDraw struct {
	scale, ratio [2]float64
	tries        [cropAttempts][2]float64
	at           [2]float64
}

// rect is the crop within a w×h image, in pixels (x, y, width, height),
// by torchvision's RandomResizedCrop.get_params: the first try whose
// region fits, else the centre at the ratio range's nearer end.
func (c *cropDraw) rect(w, h int) (x, y, cw, ch float64) {
	area := float64(w * h)
	lr0, lr1 := math.Log(c.ratio[0]), math.Log(c.ratio[1])
	for _, u := range c.tries {
		target := area * (c.scale[0] + u[0]*(c.scale[1]-c.scale[0]))
		ar := math.Exp(lr0 + u[1]*(lr1-lr0))
		cw, ch = math.Round(math.Sqrt(target*ar)), math.Round(math.Sqrt(target/ar))
		if cw > 0 && ch > 0 && cw <= float64(w) && ch <= float64(h) {
			x = math.Floor(c.at[0] * (float64(w) - cw + 1))
			y = math.Floor(c.at[1] * (float64(h) - ch + 1))
			return x, y, cw, ch
		}
	}
	inRatio := float64(w) / float64(h)
	switch {
	case inRatio < c.ratio[0]:
		cw, ch = float64(w), math.Round(float64(w)/c.ratio[0])
	case inRatio > c.ratio[1]:
		cw, ch = math.Round(float64(h)*c.ratio[1]), float64(h)
	default:
		cw, ch = float64(w), float64(h)
	}
	return math.Floor((float64(w) - cw) / 2), math.Floor((float64(h) - ch) / 2), cw, ch
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
	// Brightness, Contrast and Saturation are multiplicative factors.
	Brightness, Contrast, Saturation float64
	// Crop, when set, views a random-resized crop of the image instead of
	// its central square.
	Crop *cropDraw
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
	return one(t.Brightness) != 1 || one(t.Contrast) != 1 || one(t.Saturation) != 1
}

// geometric reports whether t moves pixels.
func (t Transform) geometric() bool {
	return t.Rotation != 0 || t.Shear != 0 || one(t.ZoomX) != 1 || one(t.ZoomY) != 1 || t.Flip || t.Crop != nil
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

// jitter is the photometric part: v' = clamp(v*gain + offset, 0, 255),
// then saturation: each pixel blended with its grey, g + sat·(v − g).
type jitter struct {
	gain, offset float32
	sat          float32
	on           bool
}

func (t Transform) jitter() jitter {
	if !t.photometric() {
		return jitter{gain: 1, sat: 1}
	}
	b, c := one(t.Brightness), one(t.Contrast)
	// contrast around 127.5 after brightness: c*(b*v - 127.5) + 127.5
	return jitter{gain: float32(b * c), offset: float32(127.5 * (1 - c)), sat: float32(one(t.Saturation)), on: true}
}
