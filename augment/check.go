package augment

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"os"
)

// maxFirstSkipped is how many skipped images a report names.
const maxFirstSkipped = 5

// CheckHeaders reads the header of every file image of split (not the
// pixels: a few hundred bytes each) and returns the split without the ones
// that cannot be decoded or exceed the size limits, with a report of them.
// Run before training, it turns unreadable images into one line at start
// instead of a silent gap in the validation set.
func CheckHeaders(ctx context.Context, split Split) (Split, SkipReport, error) {
	out := split
	out.Samples = nil
	var rep SkipReport
	for _, s := range split.Samples {
		if err := ctx.Err(); err != nil {
			return split, rep, err
		}
		if s.Image != nil {
			out.Samples = append(out.Samples, s)
			continue
		}
		if err := checkHeader(s.Path); err != nil {
			rep.Count++
			if len(rep.First) < maxFirstSkipped {
				rep.First = append(rep.First, SkippedImage{Path: s.Path, Err: err})
			}
			continue
		}
		out.Samples = append(out.Samples, s)
	}
	return out, rep, nil
}

func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load image: %w", err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("load image %s: not a decodable image (JPEG, PNG, GIF, BMP, WebP): %w", path, err)
	}
	switch {
	case cfg.Width <= 0 || cfg.Height <= 0:
		return fmt.Errorf("load image %s: %s image has empty size %dx%d", path, format, cfg.Width, cfg.Height)
	case int64(cfg.Width)*int64(cfg.Height) > DefaultMaxPixels:
		return fmt.Errorf("load image %s: %w: %dx%d %s is over the %d pixel limit", path, ErrImageTooLarge, cfg.Width, cfg.Height, format, DefaultMaxPixels)
	case decodedBytes(cfg) > DefaultMaxDecodedBytes:
		return fmt.Errorf("load image %s: %w: %dx%d %s would take %d MB decoded", path, ErrImageTooLarge, cfg.Width, cfg.Height, format, decodedBytes(cfg)>>20)
	}
	return nil
}
