package experiments

import (
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"

	"github.com/reslab/reslab/augment"
)

// demoOptions are the demo set's options as OpenData generates it.
var demoOptions = augment.DemoOptions{Seed: 1}

// SampleImage returns the pixels of an image a run saw, by the path its
// predictions name: a file is decoded; a demo-set pseudo path such as
// "demo/valid/circle/0003.png" is drawn again (the demo set lives in memory
// and its images are deterministic), so the lab can show either.
func SampleImage(spec Spec, path string) (*image.NRGBA, error) {
	if spec.Data == "" {
		if rest, ok := strings.CutPrefix(path, "demo/"); ok {
			return demoImage(rest)
		}
	}
	return augment.LoadImage(path)
}

// demoImage parses "valid/circle/0003.png" into the demo image it names.
func demoImage(rest string) (*image.NRGBA, error) {
	parts := strings.Split(rest, "/")
	bad := fmt.Errorf("demo image %q: want demo/train|valid/CLASS/NNNN.png", "demo/"+rest)
	if len(parts) != 3 {
		return nil, bad
	}
	split := slices.Index([]string{"train", "valid"}, parts[0])
	class := slices.Index(augment.DemoClasses(), parts[1])
	n, err := strconv.Atoi(strings.TrimSuffix(parts[2], ".png"))
	if split < 0 || class < 0 || err != nil || n < 1 {
		return nil, bad
	}
	return augment.DemoImage(class, split, n-1, demoOptions), nil
}
