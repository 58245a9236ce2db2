package augment

import (
	"bufio"
	"context"
	"fmt"
	"os"
)

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
			rep.add(SkippedImage{Path: s.Path, Err: err})
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
	if _, _, err := header(bufio.NewReader(f), DecodeOptions{}); err != nil {
		return fmt.Errorf("load image %s: %w", path, err)
	}
	return nil
}
