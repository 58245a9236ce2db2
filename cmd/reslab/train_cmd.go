package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

// specFlags binds a flag to every Spec field. Only flags the user set
// override the preset, so `--preset keras-tutorial --epochs 2` changes one
// thing.
type specFlags struct {
	fs      *flag.FlagSet
	preset  *string
	runs    *string
	noTUI   *bool
	aug     *string
	apply   []func(*experiments.Spec) error
	visited map[string]bool
}

func newSpecFlags(fs *flag.FlagSet) *specFlags {
	d := experiments.DefaultSpec()
	sf := &specFlags{fs: fs}
	sf.preset = fs.String("preset", "quick", "starting recipe: "+strings.Join(experiments.PresetNames(), ", "))
	sf.runs = fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	sf.noTUI = fs.Bool("no-tui", false, "print one line per epoch instead of opening the lab")
	str := func(name, def, usage string, set func(*experiments.Spec, string) error) {
		v := fs.String(name, def, usage)
		sf.apply = append(sf.apply, func(s *experiments.Spec) error {
			if !sf.visited[name] {
				return nil
			}
			if err := set(s, *v); err != nil {
				return fmt.Errorf("--%s %s: %w", name, *v, err)
			}
			return nil
		})
	}
	num := func(name string, def float64, usage string, set func(*experiments.Spec, float64)) {
		v := fs.Float64(name, def, usage)
		sf.apply = append(sf.apply, func(s *experiments.Spec) error {
			if sf.visited[name] {
				set(s, *v)
			}
			return nil
		})
	}
	integer := func(name string, def int, usage string, set func(*experiments.Spec, int)) {
		v := fs.Int(name, def, usage)
		sf.apply = append(sf.apply, func(s *experiments.Spec) error {
			if sf.visited[name] {
				set(s, *v)
			}
			return nil
		})
	}
	boolean := func(name, usage string, set func(*experiments.Spec, bool)) {
		v := fs.Bool(name, false, usage)
		sf.apply = append(sf.apply, func(s *experiments.Spec) error {
			if sf.visited[name] {
				set(s, *v)
			}
			return nil
		})
	}
	str("data", "", "image `folder` (train/ and valid/ of class folders, or class folders); empty: the demo data set", func(s *experiments.Spec, v string) error { s.Data = v; return nil })
	str("arch", d.Arch.String(), "resnet18, resnet34, resnet50 or resnet101", func(s *experiments.Spec, v string) (err error) {
		s.Arch, err = resnet.ParseArch(v)
		return err
	})
	integer("width", d.Width, "base width (64 is torchvision's; smaller is faster)", func(s *experiments.Spec, v int) { s.Width = v })
	integer("size", d.Size, "input size in pixels", func(s *experiments.Spec, v int) { s.Size = v })
	str("head", d.Head.String(), "head hidden sizes such as 512,64, or linear", func(s *experiments.Spec, v string) (err error) {
		s.Head, err = resnet.ParseHead(v)
		return err
	})
	str("pooling", string(d.Pooling), "avg or flatten", func(s *experiments.Spec, v string) error { s.Pooling = resnet.Pooling(v); return nil })
	num("dropout", d.Dropout, "dropout before each head layer, 0 to <1", func(s *experiments.Spec, v float64) { s.Dropout = v })
	str("mode", string(d.Mode), "scratch, finetune or frozen", func(s *experiments.Spec, v string) error { s.Mode = resnet.Mode(v); return nil })
	str("weights", "", "safetensors `file` to start from (backbone, and head when it fits)", func(s *experiments.Spec, v string) error { s.Weights = v; return nil })
	integer("epochs", d.Epochs, "epochs to train", func(s *experiments.Spec, v int) { s.Epochs = v })
	integer("batch", d.Batch, "images per batch", func(s *experiments.Spec, v int) { s.Batch = v })
	num("lr", d.LR, "learning rate (the base the schedule shapes)", func(s *experiments.Spec, v float64) { s.LR = v })
	str("optimizer", "adam", "adam, adamw or sgd (PyTorch's update rules)", func(s *experiments.Spec, v string) error { s.Optimizer = v; return nil })
	num("weight-decay", 0, "weight decay: L2 for adam and sgd, decoupled for adamw", func(s *experiments.Spec, v float64) { s.WeightDecay = v })
	boolean("no-decay-norm-bias", "leave BatchNorm parameters and biases out of the weight decay", func(s *experiments.Spec, v bool) { s.NoDecayNormBias = v })
	num("momentum", 0, "sgd momentum, such as 0.9", func(s *experiments.Spec, v float64) { s.Momentum = v })
	boolean("nesterov", "sgd: Nesterov momentum", func(s *experiments.Spec, v bool) { s.Nesterov = v })
	num("clip-norm", 0, "clip the gradients' global L2 norm to this (0: off)", func(s *experiments.Spec, v float64) { s.ClipNorm = v })
	num("label-smoothing", 0, "label smoothing ε of the training loss, such as 0.1", func(s *experiments.Spec, v float64) { s.LabelSmoothing = v })
	str("schedule", "constant", "learning-rate schedule after the warm-up: constant, step, cosine or linear (the last two decay to 0 at the end)", func(s *experiments.Spec, v string) error { s.Schedule = v; return nil })
	num("warmup-epochs", 0, "linear warm-up of the learning rate, in epochs (fractions allowed)", func(s *experiments.Spec, v float64) { s.WarmupEpochs = v })
	integer("head-only-epochs", 0, "fine-tuning: train only the head (backbone frozen, BatchNorm in eval mode) for this many first epochs", func(s *experiments.Spec, v int) { s.HeadOnlyEpochs = v })
	num("backbone-lr-mult", 0, "fine-tuning: the backbone's learning rate as a multiple of the head's, such as 0.1 (0: the same)", func(s *experiments.Spec, v float64) { s.BackboneLRMult = v })
	num("ema", 0, "keep an exponential moving average of the weights with this decay (such as 0.999) for validation, the best checkpoint and prediction", func(s *experiments.Spec, v float64) { s.EMADecay = v })
	integer("eval-size", 0, "validate and predict at this input size (FixRes; avg pooling); 0: the training size", func(s *experiments.Spec, v int) { s.EvalSize = v })
	integer("recalibrate-bn", 0, "before each validation, recompute BatchNorm's statistics from this many batches of unaugmented training images at the evaluation size (FixRes); 0: off", func(s *experiments.Spec, v int) { s.RecalibrateBN = v })
	str("tta", "", "test-time augmentation of validation and prediction: none, flip (with the mirror image), crops (five crops) or crops-flip", func(s *experiments.Spec, v string) error { s.TTA = v; return nil })
	str("budget", "", "time `budget` such as 20m or 1h30m: the epochs are planned to end within it (--epochs is then the most)", func(s *experiments.Spec, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("want a duration such as 20m or 1h30m")
		}
		s.BudgetSeconds = d.Seconds()
		return nil
	})
	integer("step-every", 0, "step schedule: epochs between decays", func(s *experiments.Spec, v int) { s.StepEvery = v })
	num("step-gamma", 0, "step schedule: factor per decay (default 0.1)", func(s *experiments.Spec, v float64) { s.StepGamma = v })
	integer("micro-batch", 0, "images per graph run (0: chosen from memory)", func(s *experiments.Spec, v int) { s.MicroBatch = v })
	num("rotation", d.Augment.Rotation, "augmentation: random rotation, ± degrees", func(s *experiments.Spec, v float64) { s.Augment.Rotation = v })
	num("shear", d.Augment.Shear, "augmentation: random shear, ± degrees", func(s *experiments.Spec, v float64) { s.Augment.Shear = v })
	num("zoom", d.Augment.Zoom, "augmentation: random zoom range", func(s *experiments.Spec, v float64) { s.Augment.Zoom = v })
	num("flip", d.Augment.Flip, "augmentation: horizontal flip probability", func(s *experiments.Spec, v float64) { s.Augment.Flip = v })
	num("brightness", 0, "augmentation: brightness jitter", func(s *experiments.Spec, v float64) { s.Augment.Brightness = v })
	num("contrast", 0, "augmentation: contrast jitter", func(s *experiments.Spec, v float64) { s.Augment.Contrast = v })
	num("saturation", 0, "augmentation: saturation jitter (colour), factor in [1-s, 1+s]", func(s *experiments.Spec, v float64) { s.Augment.Saturation = v })
	str("crop-scale", "", "augmentation: random-resized crop of `LO,HI` of the image's area, such as 0.08,1 (torchvision's RandomResizedCrop)", func(s *experiments.Spec, v string) (err error) {
		s.Augment.CropScale, err = parsePair(v)
		return err
	})
	str("crop-ratio", "", "random-resized crop's aspect ratio range `LO,HI` (default 0.75,1.333)", func(s *experiments.Spec, v string) (err error) {
		s.Augment.CropRatio, err = parsePair(v)
		return err
	})
	sf.aug = fs.String("augment", "", "'off' disables every augmentation")
	str("norm", d.Norm.String(), "normalisation: imagenet, caffe, caffe-bgr or none", func(s *experiments.Spec, v string) (err error) {
		s.Norm, err = augment.ParseNormalization(v)
		return err
	})
	str("monitor", d.Monitor, "metric for the best checkpoint and early stopping: val_loss or val_acc", func(s *experiments.Spec, v string) error { s.Monitor = v; return nil })
	integer("patience", d.Patience, "early stopping patience in epochs (0: off)", func(s *experiments.Spec, v int) { s.Patience = v })
	num("plateau-factor", 0, "ReduceLROnPlateau factor (0: off)", func(s *experiments.Spec, v float64) { s.PlateauFactor = v })
	integer("plateau-patience", 0, "ReduceLROnPlateau patience in epochs", func(s *experiments.Spec, v int) { s.PlateauWait = v })
	num("valid-fraction", 0, "validation share when the data has no valid/ folder (default 0.2)", func(s *experiments.Spec, v float64) { s.ValidFraction = v })
	integer("seed", int(d.Seed), "seed for initial weights, data order and augmentation", func(s *experiments.Spec, v int) { s.Seed = int64(v) })
	str("name", "", "a label for the run", func(s *experiments.Spec, v string) error { s.Name = v; return nil })
	return sf
}

// parsePair reads "lo,hi" ("" is off: 0,0).
func parsePair(v string) ([2]float64, error) {
	if strings.TrimSpace(v) == "" || v == "off" {
		return [2]float64{}, nil
	}
	lo, hi, ok := strings.Cut(v, ",")
	a, errA := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	b, errB := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if !ok || errA != nil || errB != nil {
		return [2]float64{}, fmt.Errorf("want two numbers LO,HI such as 0.08,1")
	}
	return [2]float64{a, b}, nil
}

// spec builds the spec: the preset, then every flag the user set.
func (sf *specFlags) spec() (experiments.Spec, error) {
	sf.visited = map[string]bool{}
	sf.fs.Visit(func(f *flag.Flag) { sf.visited[f.Name] = true })
	s, err := experiments.PresetSpec(*sf.preset)
	if err != nil {
		return s, fmt.Errorf("--preset: %w", err)
	}
	for _, apply := range sf.apply {
		if err := apply(&s); err != nil {
			return s, err
		}
	}
	if sf.visited["budget"] && !sf.visited["epochs"] {
		s.Epochs = 10000 // the budget decides; a preset's epochs are no limit
	}
	switch *sf.aug {
	case "", "on":
	case "off":
		s.Augment = experiments.Spec{}.Augment
	default:
		return s, fmt.Errorf("--augment %q: want on or off", *sf.aug)
	}
	return s, s.Validate()
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "train [--preset quick|flowers-scratch|keras-tutorial] [--data DIR] [flags]", stderr)
	sf := newSpecFlags(fs)
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q: train takes flags only (the data folder is --data DIR)", pos[0])
	}
	spec, err := sf.spec()
	if err != nil {
		return usagef("%w", err)
	}
	store, err := experiments.OpenStore(runsDir(*sf.runs))
	if err != nil {
		return err
	}
	if out := terminal(stdout); out != nil && !*sf.noTUI {
		return trainInLab(ctx, spec, store, out)
	}
	runner := &experiments.Runner{Store: store, Logger: fileLogger(store.Dir), ImageCache: imageCache(), JPEG: jpegDecoder()}
	sess, err := runner.Start(ctx, spec)
	if err != nil {
		return err
	}
	return followSession(sess, spec.Epochs, stdout, stderr)
}

func runResume(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("resume", "resume [--runs DIR] [--epochs N] RUN", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	epochs := fs.Int("epochs", 0, "train the run to `N` epochs in all: extends a completed run (0: finish the planned epochs)")
	fs.Bool("no-tui", true, "print one line per epoch (the default for resume)")
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("name one run: reslab resume RUN ('reslab runs' lists them)")
	}
	store, err := experiments.OpenStore(runsDir(*runs))
	if err != nil {
		return err
	}
	if *epochs < 0 || *epochs > 10000 {
		return usagef("--epochs %d: want 1 to 10000 epochs in all", *epochs)
	}
	runner := &experiments.Runner{Store: store, Logger: fileLogger(store.Dir), ImageCache: imageCache(), JPEG: jpegDecoder()}
	var sess *experiments.Session
	if *epochs > 0 {
		sess, err = runner.Extend(ctx, pos[0], *epochs)
	} else {
		sess, err = runner.Resume(ctx, pos[0])
	}
	if err != nil {
		return err
	}
	return followSession(sess, sess.Meta.Spec.Epochs, stdout, stderr)
}

// followSession prints one line per epoch and the outcome on stdout, and
// the epoch in progress on stderr.
func followSession(sess *experiments.Session, epochs int, stdout, stderr io.Writer) error {
	prog := newProgress(stderr, sess.Meta.TrainImages, sess.Meta.ValidImages)
	for i, note := range sess.Notes {
		if i == 0 {
			fmt.Fprintf(stdout, "run %s: %s\n", sess.ID, note)
		} else {
			fmt.Fprintf(stdout, "  %s\n", note)
		}
	}
	for e := range sess.Events {
		switch ev := e.(type) {
		case train.StepEvent:
			prog.step(ev)
		case train.EpochEvent:
			prog.epoch(ev.Metrics)
			if ev.Epochs > 0 {
				epochs = ev.Epochs // a time budget's plan
			}
			fmt.Fprintln(stdout, epochLine(ev.Metrics, epochs, sess.Meta.ValidImages))
		case train.CheckpointEvent:
			if ev.Kind == "best" {
				fmt.Fprintf(stdout, "  best %s %.4f: saved %s\n", ev.Metric, ev.Value, experiments.BestWeightsFile)
			}
		}
	}
	prog.clear()
	res, err := sess.Wait()
	return runOutcome(stdout, sess.ID, experiments.State(res.Status), res.Best, err)
}

// runOutcome prints how a run ended, as `reslab train` and `resume` do
// whether the run trained headless or in the lab: the status with the best
// epoch and the run id last (for scripts), or how to resume a stopped run.
func runOutcome(stdout io.Writer, id string, state experiments.State, best train.Monitor, err error) error {
	switch {
	case state == experiments.StateStopped || errors.Is(err, context.Canceled):
		fmt.Fprintf(stdout, "run %s stopped; continue it with: reslab resume %s\n", id, id)
		return errRunStopped
	case err != nil:
		return fmt.Errorf("run %s failed: %w", id, err)
	}
	bestNote := ""
	if best.BestEpoch > 0 {
		bestNote = fmt.Sprintf(" (best %s %.4f at epoch %d)", best.Metric, best.Best, best.BestEpoch)
	}
	fmt.Fprintf(stdout, "run %s %s%s\n", id, state, bestNote)
	fmt.Fprintln(stdout, id)
	return nil
}

// epochLine is one epoch as train prints it; the validation accuracy
// carries its 95 % interval over the valid images, the time how much of it
// went to waiting for the loader.
func epochLine(m train.EpochMetrics, epochs, valid int) string {
	top5 := ""
	if m.ValTop5 > 0 {
		top5 = fmt.Sprintf(" top5 %5.1f%%", 100*m.ValTop5)
	}
	return fmt.Sprintf("epoch %d/%d  train loss %.4f acc %5.1f%%  val loss %.4f acc %s%s  lr %.3g  %.1fs (%.1fs waiting for data)  %.1f img/s",
		m.Epoch, epochs, m.TrainLoss, 100*m.TrainAcc, m.ValLoss, experiments.FormatInterval(m.ValAcc, valid), top5, m.LR, m.Seconds, m.DataWaitSeconds, m.ImagesPerSec)
}
