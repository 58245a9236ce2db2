package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
)

// runAugment renders a grid of augmented variants of one image, so a
// researcher can see what the training loader will feed the network
// before spending an hour on a run:
//
//	reslab augment --preview IMAGE --out grid.png [--n 9] [--size 224] [--seed 1]
//	               [--preset P | --run RUN] [--rotation 30 --shear 0.2 --zoom 0.2 --flip 0.5]
//
// --preset and --run take the size, seed and augmentation of a preset or
// of a saved run (what that run really did); other flags override them.
func runAugment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	def := augment.DefaultParams()
	fs := newFlagSet("augment", "augment --preview IMAGE --out GRID.png [--n 9] [--size 224] [--seed 1] [--preset P | --run RUN] [--rotation 30 --shear 0.2 --zoom 0.2 --flip 0.5]", stderr)
	preset := fs.String("preset", "", "take size, seed and augmentation from `preset`: "+strings.Join(experiments.PresetNames(), ", "))
	runID := fs.String("run", "", "take size, seed and augmentation from saved run `RUN`")
	runsFlag := fs.String("runs", "", "runs `folder` for --run (default $RESLAB_RUNS, else ./runs)")
	preview := fs.String("preview", "", "`image` to augment (JPEG, PNG, GIF, BMP or WebP); may also be given as an argument")
	out := fs.String("out", "", "grid `file` to write (.png, .jpg, .gif, .bmp or .tif) (required)")
	n := fs.Int("n", 9, "number of variants")
	size := fs.Int("size", augment.DefaultSize, "side of each variant in pixels, as in training")
	seed := fs.Int64("seed", 1, "seed; variant i is what a training run with this seed does to an image in epoch i")
	rotation := fs.Float64("rotation", def.Rotation, "rotation range in degrees (±)")
	shear := fs.Float64("shear", def.Shear, "shear range in degrees (±), as Keras shear_range")
	zoom := fs.Float64("zoom", def.Zoom, "zoom range: factors drawn from [1-zoom, 1+zoom] per axis")
	flip := fs.Float64("flip", def.Flip, "probability of a horizontal flip")
	brightness := fs.Float64("brightness", 0, "brightness jitter: factor in [1-b, 1+b]")
	contrast := fs.Float64("contrast", 0, "contrast jitter: factor in [1-c, 1+c]")
	saturation := fs.Float64("saturation", 0, "saturation jitter: factor in [1-s, 1+s]")
	cropScale := fs.String("crop-scale", "", "random-resized crop of `LO,HI` of the area, such as 0.08,1")
	cropRatio := fs.String("crop-ratio", "", "the crop's aspect ratio range `LO,HI` (default 0.75,1.333)")
	positional, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	fail := usagef
	img := *preview
	switch {
	case len(positional) > 1 || (len(positional) == 1 && img != "" && positional[0] != img):
		if img != "" {
			positional = append([]string{img}, positional...)
		}
		return fail("one image at a time, got %d: %q", len(positional), positional)
	case len(positional) == 1:
		img = positional[0]
	}
	if img == "" {
		return fail("no image given: reslab augment --preview IMAGE --out GRID.png")
	}
	if *out == "" {
		return fail("--out is required: the grid image to write, such as grid.png")
	}
	format, err := imaging.FormatFromFilename(*out)
	if err != nil {
		return fail("--out %s: %v", *out, err)
	}
	var crop, ratio [2]float64
	if crop, err = parsePair(*cropScale); err != nil {
		return fail("--crop-scale: %v", err)
	}
	if ratio, err = parsePair(*cropRatio); err != nil {
		return fail("--crop-ratio: %v", err)
	}
	var from string // what the settings came from, for the output line
	if *preset != "" || *runID != "" {
		if *preset != "" && *runID != "" {
			return fail("give --preset or --run, not both")
		}
		var sp experiments.Spec
		if *preset != "" {
			if sp, err = experiments.PresetSpec(*preset); err != nil {
				return fail("--preset: %v", err)
			}
			from = "preset " + *preset
		} else {
			store, err := experiments.OpenStore(runsDir(*runsFlag))
			if err != nil {
				return err
			}
			run, err := store.Load(*runID)
			if err != nil {
				return err
			}
			sp, from = run.Meta.Spec, "run "+run.ID
		}
		a := sp.Augment
		for name, set := range map[string]func(){
			"size": func() { *size = sp.Size }, "seed": func() { *seed = sp.Seed },
			"rotation": func() { *rotation = a.Rotation }, "shear": func() { *shear = a.Shear },
			"zoom": func() { *zoom = a.Zoom }, "flip": func() { *flip = a.Flip },
			"brightness": func() { *brightness = a.Brightness }, "contrast": func() { *contrast = a.Contrast },
			"saturation": func() { *saturation = a.Saturation },
			"crop-scale": func() { crop = a.CropScale }, "crop-ratio": func() { ratio = a.CropRatio },
		} {
			if !flagSet(fs, name) {
				set()
			}
		}
	}
	if *n < 1 || *n > 400 {
		return fail("--n %d: want 1 to 400 variants", *n)
	}
	if *size < 8 || *size > 2048 {
		return fail("--size %d: want 8 to 2048 pixels", *size)
	}
	params := augment.Params{Rotation: *rotation, Shear: *shear, Zoom: *zoom, Flip: *flip, Brightness: *brightness, Contrast: *contrast,
		Saturation: *saturation, CropScale: crop, CropRatio: ratio}
	if err := params.Validate(); err != nil {
		return fail("%v", err)
	}

	src, err := augment.LoadForSize(img, *size)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return usagef("%v", ctx.Err())
	}
	grid, err := augment.PreviewGrid(src, *n, params, *seed, *size)
	if err != nil {
		return fmt.Errorf("%s: %w", img, err)
	}
	if err := writeImageAtomic(*out, grid, format); err != nil {
		return err
	}
	what := fmt.Sprintf("wrote %s: %d variants of %s at %d px (seed %d)", *out, *n, img, *size, *seed)
	if from != "" {
		what += ", augmented as " + from
		if !params.Enabled() {
			what += " (which uses no augmentation: every variant is the same)"
		}
	}
	fmt.Fprintln(stdout, what)
	return nil
}

// writeImageAtomic encodes img next to path and renames it into place, so
// an interrupted write never leaves a truncated image behind.
func writeImageAtomic(path string, img image.Image, format imaging.Format) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		// Name the file asked for, not the temporary one.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := imaging.Encode(tmp, img, format); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
