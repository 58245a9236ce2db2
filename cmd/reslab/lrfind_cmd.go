package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
)

// runLRFind is the learning-rate range test: train's flags choose the
// network, data and optimiser; the rate sweeps exponentially over --steps
// batches from the run's initial weights on a throwaway model, and the
// loss is drawn against the rate on a log axis.
func runLRFind(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lr-find", "lr-find [train's flags] [--start 1e-7] [--end 10] [--steps 200] [--json]", stderr)
	sf := newSpecFlags(fs)
	start := fs.Float64("start", 1e-7, "first learning rate")
	end := fs.Float64("end", 10, "last learning rate")
	steps := fs.Int("steps", 200, "batches to sweep over")
	asJSON := fs.Bool("json", false, "print the curve and the suggestion as JSON")
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q: lr-find takes train's flags", pos[0])
	}
	if !(*start > 0 && *end > *start) || *steps < 10 || *steps > 10000 {
		return usagef("--start %g --end %g --steps %d: want 0 < start < end and 10 to 10000 steps", *start, *end, *steps)
	}
	spec, err := sf.spec()
	if err != nil {
		return err
	}
	store, err := experiments.OpenStore(runsDir(*sf.runs))
	if err != nil {
		return err
	}
	runner := &experiments.Runner{Store: store, Logger: fileLogger(store.Dir), ImageCache: imageCache(), JPEG: jpegDecoder()}
	res, err := runner.FindLR(ctx, spec, train.LRFindOptions{Start: *start, End: *end, Steps: *steps})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprint(stdout, experiments.LRFindChart(res, 64, 14))
	if res.Stopped != "" {
		fmt.Fprintf(stdout, "stopped after %d steps: %s\n", len(res.LRs), res.Stopped)
	}
	if res.Suggested > 0 {
		fmt.Fprintf(stdout, "suggested learning rate %.2g (%s of the smoothed loss; --lr %.2g)\n", res.Suggested, res.Method, res.Suggested)
	} else {
		fmt.Fprintf(stdout, "no suggestion: %s\n", res.Method)
	}
	return nil
}
