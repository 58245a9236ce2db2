package components

import (
	"fmt"
	"image"
	"strings"

	"github.com/muesli/termenv"
)

// ImageSize is the cells an image takes to fit in w×h cells with its
// aspect kept: each cell holds one pixel column and two pixel rows (half
// blocks), so a square image of n cells wide is n/2 cells tall. It is
// never magnified more than twice.
func ImageSize(img image.Image, w, h int) (cols, rows int) {
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
	if iw <= 0 || ih <= 0 || w <= 0 || h <= 0 {
		return 0, 0
	}
	cols = min(w, 2*iw)
	rows = (cols*ih/iw + 1) / 2
	if rows > h {
		rows = h
		cols = max(2*rows*iw/ih, 1)
	}
	return cols, max(rows, 1)
}

// RenderImage draws img in cols×rows cells. With colour each cell is an
// upper half block whose foreground is the upper pixel and background the
// lower one (true colour, or the profile's nearest colours); without
// colour (NO_COLOR, a dumb terminal) each cell is a character of a
// brightness ramp, so the shape still shows.
func RenderImage(img image.Image, cols, rows int, profile termenv.Profile) []string {
	px := sample(img, cols, 2*rows)
	lines := make([]string, rows)
	if profile == termenv.Ascii {
		// Brightness stretched to the image's own range, so a shape on
		// a background of similar brightness still stands out.
		const ramp = " .:-=+*#%@"
		lo, hi := 1.0, 0.0
		for y := range rows {
			for x := range cols {
				l := (luma(px[2*y][x]) + luma(px[2*y+1][x])) / 2
				lo, hi = min(lo, l), max(hi, l)
			}
		}
		span := max(hi-lo, 1e-6)
		for y := range rows {
			var b strings.Builder
			for x := range cols {
				l := ((luma(px[2*y][x])+luma(px[2*y+1][x]))/2 - lo) / span
				b.WriteByte(ramp[min(int(l*float64(len(ramp))), len(ramp)-1)])
			}
			lines[y] = b.String()
		}
		return lines
	}
	for y := range rows {
		var b strings.Builder
		for x := range cols {
			t, u := px[2*y][x], px[2*y+1][x]
			fg := profile.Color(hex(t)).Sequence(false)
			bg := profile.Color(hex(u)).Sequence(true)
			b.WriteString("\x1b[" + fg + ";" + bg + "m▀")
		}
		b.WriteString("\x1b[0m")
		lines[y] = b.String()
	}
	return lines
}

type rgb8 [3]uint8

func hex(c rgb8) string { return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]) }

func luma(c rgb8) float64 {
	return (0.2126*float64(c[0]) + 0.7152*float64(c[1]) + 0.0722*float64(c[2])) / 256
}

// sample box-filters img to w×h pixels.
func sample(img image.Image, w, h int) [][]rgb8 {
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
	out := make([][]rgb8, h)
	for y := range h {
		out[y] = make([]rgb8, w)
		y0 := b.Min.Y + y*ih/h
		y1 := max(b.Min.Y+(y+1)*ih/h, y0+1)
		for x := range w {
			x0 := b.Min.X + x*iw/w
			x1 := max(b.Min.X+(x+1)*iw/w, x0+1)
			var r, g, bl, n uint64
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					cr, cg, cb, _ := img.At(xx, yy).RGBA()
					r, g, bl, n = r+uint64(cr>>8), g+uint64(cg>>8), bl+uint64(cb>>8), n+1
				}
			}
			out[y][x] = rgb8{uint8(r / n), uint8(g / n), uint8(bl / n)}
		}
	}
	return out
}
