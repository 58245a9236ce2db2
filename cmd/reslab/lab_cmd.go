package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/mattn/go-isatty"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui"
)

// imageCache is the disk cache of decoded images that runs share:
// $RESLAB_IMAGE_CACHE, else reslab/images in the user's cache folder
// (~/.cache on Linux); RESLAB_IMAGE_CACHE=off turns it off, and so does a
// machine with no cache folder.
func imageCache() *augment.DiskCache {
	dir := os.Getenv("RESLAB_IMAGE_CACHE")
	switch dir {
	case "off":
		return nil
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "reslab", "images")
	}
	return &augment.DiskCache{Dir: dir}
}

// jpegDecoderEnv reads $RESLAB_JPEG: "go" decodes every JPEG with reslab's
// pure-Go decoder, the same pixels on every machine; unset, or "fastest",
// decodes with libjpeg-turbo where the machine has it.
func jpegDecoderEnv() (augment.JPEGDecoder, error) {
	return augment.ParseJPEGDecoder(os.Getenv("RESLAB_JPEG"))
}

// jpegDecoder is jpegDecoderEnv's decoder; run has refused any other
// value before a command starts.
func jpegDecoder() augment.JPEGDecoder {
	d, _ := jpegDecoderEnv()
	return d
}

// runsDir is --runs, else $RESLAB_RUNS, else ./runs.
func runsDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("RESLAB_RUNS"); env != "" {
		return env
	}
	return "runs"
}

// terminal returns stdout as a terminal, or nil when it is not one.
func terminal(stdout io.Writer) *os.File {
	out, isFile := stdout.(*os.File)
	if !isFile || !isatty.IsTerminal(out.Fd()) {
		return nil
	}
	return out
}

// quietLogs sends every log line, the standard logger's included, to the
// runs folder's reslab.log: nothing may print over the screen the lab draws.
func quietLogs(dir string) *slog.Logger {
	logger := fileLogger(dir)
	slog.SetDefault(logger)
	log.SetOutput(io.Discard)
	if f, err := os.OpenFile(filepath.Join(dir, "reslab.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
		log.SetOutput(f)
	}
	return logger
}

func runLab(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lab", "[lab] [--runs DIR] [--data DIR]", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	data := fs.String("data", "", "image `folder` with train/ and valid/ class folders (default: the built-in demo data set)")
	if _, err := parseCommandLine(fs, args); err != nil {
		return err
	}
	out := terminal(stdout)
	if out == nil {
		return usagef("the lab needs a terminal; use a command instead (reslab help)")
	}
	dir := runsDir(*runs)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("runs folder: %w", err)
	}
	if *data != "" {
		if _, err := augment.OpenDataset(*data, augment.OpenOptions{}); err != nil {
			return err
		}
	}
	logger := quietLogs(dir)
	logger.Info("lab opened", "runs", dir, "data", *data)
	if _, err := tui.Run(ctx, tui.Options{RunsDir: dir, DataDir: *data, Logger: logger, ImageCache: imageCache(), JPEG: jpegDecoder(), Input: os.Stdin, Output: out}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// trainInLab trains spec on the lab's run screen (reslab train on a
// terminal), then prints the outcome as the headless path does.
func trainInLab(ctx context.Context, spec experiments.Spec, store *experiments.Store, out *os.File) error {
	logger := quietLogs(store.Dir)
	outcomes, err := tui.Run(ctx, tui.Options{RunsDir: store.Dir, DataDir: spec.Data, Logger: logger, ImageCache: imageCache(), JPEG: jpegDecoder(), Start: &spec, Input: os.Stdin, Output: out})
	if err != nil && ctx.Err() == nil {
		return err
	}
	if len(outcomes) == 0 {
		return usagef("the lab closed before the run started")
	}
	o := outcomes[0]
	return runOutcome(out, o.ID, o.Status, o.Best, o.Err)
}
