package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/tui"
)

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

func runLab(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("lab", "[lab] [--runs DIR] [--data DIR]", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	data := fs.String("data", "", "image `folder` with train/ and valid/ class folders (default: the built-in demo data set)")
	if _, code, ok := parseCommandLine(fs, args); !ok {
		return code
	}
	out, isFile := stdout.(*os.File)
	if !isFile || !isatty.IsTerminal(out.Fd()) {
		fmt.Fprintln(stderr, "reslab: the lab needs a terminal; use a command instead (reslab help)")
		return exitUsage
	}
	dir := runsDir(*runs)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "reslab: runs folder: %v\n", err)
		return exitError
	}
	logger := fileLogger(dir)

	opts := tui.Options{RunsDir: dir, DataDir: *data, Input: os.Stdin, Output: out}
	if *data != "" {
		ds, err := augment.OpenDataset(*data, augment.OpenOptions{})
		if err != nil {
			fmt.Fprintf(stderr, "reslab: %v\n", err)
			return exitError
		}
		opts.Classes = len(ds.Classes)
		opts.DataSummary = fmt.Sprintf("%d classes, %d train and %d validation images", len(ds.Classes), ds.Train.Len(), ds.Valid.Len())
	}
	logger.Info("lab opened", "runs", dir, "data", *data)
	if err := tui.Run(ctx, opts); err != nil {
		if ctx.Err() != nil {
			return exitUsage
		}
		fmt.Fprintf(stderr, "reslab: %v\n", err)
		return exitError
	}
	return exitOK
}
