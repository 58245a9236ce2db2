package augment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// demoClasses are the built-in demo set's classes, in label order, which
// is also the order OpenDataset finds their folders in once written. Three
// are shapes of one flat colour and three are textures filling the same
// kind of rotated square, so neither colour nor outline alone tells every
// class apart.
var demoClasses = []string{"checker", "circle", "gradient", "square", "stripes", "triangle"}

// DemoClasses returns the demo set's class names in label order.
func DemoClasses() []string { return append([]string(nil), demoClasses...) }

// DemoOptions size the built-in demo set. Zero values take the defaults.
type DemoOptions struct {
	// Size is the image side in pixels (default 64).
	Size int
	// Train and Valid are images per class (defaults 50 and 15).
	Train, Valid int
	// Seed selects the images; the same options always give the same
	// pixels.
	Seed int64
}

func (o DemoOptions) withDefaults() DemoOptions {
	if o.Size == 0 {
		o.Size = 64
	}
	if o.Train == 0 {
		o.Train = 50
	}
	if o.Valid == 0 {
		o.Valid = 15
	}
	return o
}

func (o DemoOptions) validate() error {
	if o.Size < 8 || o.Size > 1024 || o.Train < 1 || o.Valid < 1 {
		return fmt.Errorf("demo: size %d must be in [8, 1024] and train %d, valid %d at least 1", o.Size, o.Train, o.Valid)
	}
	return nil
}

// Demo generates the built-in demo data set in memory: a small synthetic
// classification task (6 classes of shapes and textures with random
// position, scale, rotation, colours, background gradient and noise) that a
// ResNet learns in minutes on a CPU, so reslab can be tried, and tested,
// without any data folder. Its samples carry their pixels (Sample.Image)
// and pseudo paths such as "demo/train/circle/0001.png".
func Demo(opts DemoOptions) (*Dataset, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	ds := &Dataset{
		Classes: DemoClasses(),
		Names:   DemoClasses(),
		Train:   Split{Name: "train", Classes: demoClasses},
		Valid:   Split{Name: "valid", Classes: demoClasses},
	}
	for si, sp := range []*Split{&ds.Train, &ds.Valid} {
		n := opts.Train
		if si == 1 {
			n = opts.Valid
		}
		for c, class := range demoClasses {
			for i := range n {
				sp.Samples = append(sp.Samples, Sample{
					Path:  fmt.Sprintf("demo/%s/%s/%04d.png", sp.Name, class, i+1),
					Label: c,
					Image: DemoImage(c, si, i, opts),
				})
			}
		}
	}
	h := sha256.Sum256(fmt.Appendf(nil, "reslab demo v1 %d %d %d %d", opts.Size, opts.Train, opts.Valid, opts.Seed))
	ds.Fingerprint = hex.EncodeToString(h[:16])
	return ds, nil
}

// WriteDemo writes the demo set under dir as PNGs in the train/valid
// layout OpenDataset reads (dir/train/circle/0001.png …). dir must not
// exist or be empty, so the demo never mixes with other files.
func WriteDemo(ctx context.Context, dir string, opts DemoOptions) error {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("write demo: %s is not empty", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write demo: %w", err)
	}
	for si, name := range []string{"train", "valid"} {
		n := opts.Train
		if si == 1 {
			n = opts.Valid
		}
		for c, class := range demoClasses {
			cdir := filepath.Join(dir, name, class)
			if err := os.MkdirAll(cdir, 0o755); err != nil {
				return fmt.Errorf("write demo: %w", err)
			}
			for i := range n {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("write demo: %w", err)
				}
				if err := writePNGFile(filepath.Join(cdir, fmt.Sprintf("%04d.png", i+1)), DemoImage(c, si, i, opts)); err != nil {
					return fmt.Errorf("write demo: %w", err)
				}
			}
		}
	}
	return nil
}

func writePNGFile(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return f.Close()
}

type rgb [3]float64

// randColor draws a colour at least minDist (Euclidean, 0..255 units)
// from every colour in avoid, so shapes always stand out.
func randColor(r *rand.Rand, minDist float64, avoid ...rgb) rgb {
	for {
		c := rgb{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
		ok := true
		for _, a := range avoid {
			d := math.Sqrt((c[0]-a[0])*(c[0]-a[0]) + (c[1]-a[1])*(c[1]-a[1]) + (c[2]-a[2])*(c[2]-a[2]))
			if d < minDist {
				ok = false
			}
		}
		if ok {
			return c
		}
	}
}

// DemoImage draws image i of class c in split si (0 train, 1 valid). Each
// image has its own random stream, so any one can be drawn alone.
func DemoImage(c, si, i int, opts DemoOptions) *image.NRGBA {
	opts = opts.withDefaults()
	r := newRand(saltDemo, uint64(opts.Seed), uint64(si), uint64(c), uint64(i))
	S := float64(opts.Size)
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

	bg := randColor(r, 0)
	gAng := u(0, 2*math.Pi)
	gAmp := u(0, 40) // background gradient, weak
	fg := randColor(r, 110, bg)
	fg2 := randColor(r, 90, fg)
	noise := u(3, 14)
	cx, cy := u(0.35, 0.65)*S, u(0.35, 0.65)*S
	theta := u(-math.Pi, math.Pi)
	cosT, sinT := math.Cos(theta), math.Sin(theta)

	// inside reports whether (x, y) is on the figure and its colour.
	var inside func(x, y float64) (bool, rgb)
	switch demoClasses[c] {
	case "circle":
		rad := u(0.14, 0.3) * S
		inside = func(x, y float64) (bool, rgb) {
			return (x-cx)*(x-cx)+(y-cy)*(y-cy) < rad*rad, fg
		}
	case "triangle":
		rad := u(0.2, 0.36) * S
		var px, py [3]float64
		for k := range 3 {
			a := theta + float64(k)*2*math.Pi/3 + u(-0.25, 0.25)
			px[k], py[k] = cx+rad*math.Cos(a), cy+rad*math.Sin(a)
		}
		edge := func(k int, x, y float64) float64 {
			j := (k + 1) % 3
			return (px[j]-px[k])*(y-py[k]) - (py[j]-py[k])*(x-px[k])
		}
		inside = func(x, y float64) (bool, rgb) {
			e0, e1, e2 := edge(0, x, y), edge(1, x, y), edge(2, x, y)
			return (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0), fg
		}
	default:
		// A rotated square, filled flat (square) or with a texture.
		hs := u(0.16, 0.3) * S
		local := func(x, y float64) (float64, float64, bool) {
			lx := (x-cx)*cosT + (y-cy)*sinT
			ly := -(x-cx)*sinT + (y-cy)*cosT
			return lx, ly, math.Abs(lx) < hs && math.Abs(ly) < hs
		}
		phi := u(0, math.Pi)
		cosP, sinP := math.Cos(phi), math.Sin(phi)
		switch demoClasses[c] {
		case "square":
			inside = func(x, y float64) (bool, rgb) {
				_, _, in := local(x, y)
				return in, fg
			}
		case "stripes":
			period := u(0.06, 0.14) * S
			inside = func(x, y float64) (bool, rgb) {
				lx, ly, in := local(x, y)
				if int(math.Floor((lx*cosP+ly*sinP)/(period/2)))&1 == 0 {
					return in, fg
				}
				return in, fg2
			}
		case "checker":
			cell := u(0.05, 0.12) * S
			inside = func(x, y float64) (bool, rgb) {
				lx, ly, in := local(x, y)
				if (int(math.Floor(lx/cell))+int(math.Floor(ly/cell)))&1 == 0 {
					return in, fg
				}
				return in, fg2
			}
		case "gradient":
			inside = func(x, y float64) (bool, rgb) {
				lx, ly, in := local(x, y)
				t := min(max((lx*cosP+ly*sinP)/(2*hs)+0.5, 0), 1)
				return in, rgb{fg[0]*(1-t) + fg2[0]*t, fg[1]*(1-t) + fg2[1]*t, fg[2]*(1-t) + fg2[2]*t}
			}
		}
	}

	n := opts.Size
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	gx, gy := math.Cos(gAng)*gAmp/S, math.Sin(gAng)*gAmp/S
	for y := range n {
		for x := range n {
			var acc rgb
			// 2×2 supersampling for smooth edges.
			for _, o := range [4][2]float64{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}} {
				sx, sy := float64(x)+o[0], float64(y)+o[1]
				col := bg
				g := (sx-S/2)*gx + (sy-S/2)*gy
				col = rgb{col[0] + g, col[1] + g, col[2] + g}
				if in, f := inside(sx, sy); in {
					col = f
				}
				for k := range 3 {
					acc[k] += col[k] / 4
				}
			}
			p := img.Pix[img.PixOffset(x, y):]
			for k := range 3 {
				v := acc[k] + r.NormFloat64()*noise
				p[k] = uint8(min(max(math.Round(v), 0), 255))
			}
			p[3] = 255
		}
	}
	return img
}
