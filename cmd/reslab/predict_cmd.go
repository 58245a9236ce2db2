package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
)

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", "predict (--weights FILE [--arch resnet50] [--head linear] [--size 224] | --run RUN [--split valid|test]) [--topk 5] [--json] IMAGE...", stderr)
	weights := fs.String("weights", "", "safetensors `file` with torchvision/timm tensor names")
	runID := fs.String("run", "", "use a saved run's best weights, settings and class names")
	runsFlag := fs.String("runs", "", "runs `folder` for --run (default $RESLAB_RUNS, else ./runs)")
	split := fs.String("split", "", "with --run: report accuracy over the data set's valid or test split")
	arch := fs.String("arch", "", "resnet18, resnet34, resnet50 or resnet101 (default: what the weights hold)")
	head := fs.String("head", "", "head hidden sizes such as 512,64, or linear (default: what the weights hold)")
	pooling := fs.String("pooling", "", "avg or flatten (default: the file's, else avg)")
	size := fs.Int("size", 0, "input size in pixels: shorter side resized, then centre-cropped (default: the file's, else 224)")
	topk := fs.Int("topk", 5, "number of classes to show per image")
	norm := fs.String("norm", "imagenet", "normalisation: imagenet, caffe, caffe-bgr or none")
	asJSON := fs.Bool("json", false, "print one JSON object per image")
	ttaFlag := fs.String("tta", "", "test-time augmentation: none, flip, crops or crops-flip (default: the run's, else none)")
	images, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	tta, err := resnet.ParseTTA(*ttaFlag)
	if err != nil {
		return usagef("--tta: %w", err)
	}
	var ttaOverride *resnet.TTA
	if flagSet(fs, "tta") {
		ttaOverride = &tta
	}
	fail := usagef
	if (*weights == "") == (*runID == "") {
		return fail("give --weights FILE (a safetensors checkpoint) or --run RUN (a saved run)")
	}
	if *split != "" && *runID == "" {
		return fail("--split needs --run: the split comes from the run's data set")
	}
	if len(images) == 0 && *split == "" {
		return fail("no images given: reslab predict --weights FILE IMAGE...")
	}
	if *topk < 1 {
		return fail("--topk %d: want 1 or more", *topk)
	}
	if *runID != "" {
		return predictWithRun(ctx, *runsFlag, *runID, *split, *topk, *asJSON, ttaOverride, images, stdout)
	}
	opts := experiments.PredictOptions{Weights: *weights, Head: *head, Pooling: resnet.Pooling(*pooling), Size: *size, TopK: *topk, TTA: tta, JPEG: jpegDecoder()}
	if *arch != "" {
		a, err := resnet.ParseArch(*arch)
		if err != nil {
			return fail("--arch: %v", err)
		}
		opts.Depth = a.Depth()
	}
	if opts.Norm, err = augment.ParseNormalization(*norm); err != nil {
		return fail("--norm: %v", err)
	}
	p, err := experiments.OpenPredictor(opts)
	if err != nil {
		return err
	}
	defer p.Close()
	preds, err := p.PredictFiles(ctx, images)
	if err != nil {
		return err
	}
	return printPredictions(preds, *asJSON, stdout)
}

func printPredictions(preds []experiments.Prediction, asJSON bool, stdout io.Writer) error {
	enc := json.NewEncoder(stdout)
	for _, pr := range preds {
		if asJSON {
			if err := enc.Encode(pr); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(stdout, pr.Image)
		for i, c := range pr.TopK {
			fmt.Fprintf(stdout, "  %d. %-24s %.4f\n", i+1, c.Label(), c.Prob)
		}
	}
	return nil
}

func predictWithRun(ctx context.Context, runsFlag, id, split string, topk int, asJSON bool, tta *resnet.TTA, images []string, stdout io.Writer) error {
	store, err := experiments.OpenStore(runsDir(runsFlag))
	if err != nil {
		return err
	}
	run, err := store.Load(id)
	if err != nil {
		return err
	}
	p, err := experiments.OpenRunPredictor(run, topk)
	if err != nil {
		return fmt.Errorf("run %s: %w", run.ID, err)
	}
	defer p.Close()
	if tta != nil {
		p.SetTTA(*tta)
	}
	if split != "" {
		acc, err := p.EvaluateSplit(ctx, run, split)
		if err != nil {
			return err
		}
		if asJSON {
			json.NewEncoder(stdout).Encode(acc)
		} else {
			fmt.Fprintf(stdout, "%s: %d/%d correct, accuracy %.2f%% (95%% interval %.1f–%.1f%%), loss %.4f\n", acc.Split, acc.Correct, acc.Images,
				100*acc.Accuracy, 100*acc.AccuracyCI[0], 100*acc.AccuracyCI[1], acc.Loss)
		}
	}
	if len(images) == 0 {
		return nil
	}
	preds, err := p.PredictFiles(ctx, images)
	if err != nil {
		return err
	}
	return printPredictions(preds, asJSON, stdout)
}
