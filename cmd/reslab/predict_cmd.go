package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/engine"
	"github.com/reslab/reslab/experiments"
)

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("predict", "predict --weights FILE [--arch resnet50] [--head linear] [--size 224] [--topk 5] [--json] IMAGE...", stderr)
	weights := fs.String("weights", "", "safetensors `file` with torchvision/timm tensor names (required)")
	arch := fs.String("arch", "", "resnet18, resnet34, resnet50 or resnet101 (default: what the weights hold)")
	head := fs.String("head", "", "head hidden sizes such as 512,64, or linear (default: what the weights hold)")
	pooling := fs.String("pooling", "", "avg or flatten (default: the file's, else avg)")
	size := fs.Int("size", 0, "input size in pixels: shorter side resized, then centre-cropped (default: the file's, else 224)")
	topk := fs.Int("topk", 5, "number of classes to show per image")
	norm := fs.String("norm", "imagenet", "normalisation: imagenet, caffe, caffe-bgr or none")
	asJSON := fs.Bool("json", false, "print one JSON object per image")
	images, code, ok := parseCommandLine(fs, args)
	if !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "reslab predict: "+format+"\n", a...)
		return exitUsage
	}
	if *weights == "" {
		return fail("--weights is required: a safetensors file such as runs/RUN/best.safetensors")
	}
	if len(images) == 0 {
		return fail("no images given: reslab predict --weights FILE IMAGE...")
	}
	if *topk < 1 {
		return fail("--topk %d: want 1 or more", *topk)
	}
	opts := experiments.PredictOptions{Weights: *weights, Head: *head, Pooling: engine.Pooling(*pooling), Size: *size, TopK: *topk}
	var err error
	if *arch != "" {
		if opts.Depth, err = engine.ParseArch(*arch); err != nil {
			return fail("--arch: %v", err)
		}
	}
	if opts.Norm, err = augment.ParseNormalization(*norm); err != nil {
		return fail("--norm: %v", err)
	}
	p, err := experiments.OpenPredictor(opts)
	if err != nil {
		fmt.Fprintf(stderr, "reslab predict: %v\n", err)
		return exitError
	}
	defer p.Close()
	preds, err := p.PredictFiles(ctx, images)
	if err != nil {
		fmt.Fprintf(stderr, "reslab predict: %v\n", err)
		if ctx.Err() != nil {
			return exitUsage
		}
		return exitError
	}
	enc := json.NewEncoder(stdout)
	for _, pr := range preds {
		if *asJSON {
			if err := enc.Encode(pr); err != nil {
				fmt.Fprintf(stderr, "reslab predict: %v\n", err)
				return exitError
			}
			continue
		}
		fmt.Fprintln(stdout, pr.Image)
		for i, c := range pr.TopK {
			label := fmt.Sprintf("class %d", c.Class)
			if c.Name != "" {
				label += " " + c.Name
			}
			fmt.Fprintf(stdout, "  %d. %-24s %.4f\n", i+1, label, c.Prob)
		}
	}
	return exitOK
}
