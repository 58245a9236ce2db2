// Command reslab is a terminal lab for training and comparing residual
// networks on image folders. With no arguments on a terminal it opens the
// lab; subcommands serve scripts, CI and remote shells.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/reslab/reslab/internal/sysmem"
	"github.com/reslab/reslab/resnet/kernel"
)

// command is one subcommand: it parses its own flags from args, writes
// only to the given streams and returns an error; run turns that into one
// line on stderr and an exit code, the same way for every command.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"lab":     {"open the terminal lab (the default)", runLab},
		"predict": {"classify images with saved weights", runPredict},
		"bench":   {"time a training or inference step and report peak memory", runBench},
		"train":   {"train a run (one line per epoch)", runTrain},
		"lr-find": {"sweep the learning rate over a few hundred steps and suggest one", runLRFind},
		"resume":  {"continue a stopped or interrupted run", runResume},
		"runs":    {"list saved runs", runRuns},
		"show":    {"a run's settings, epochs, confusion matrix and per-class accuracy", runShow},
		"compare": {"overlay runs' curves and test their difference (McNemar)", runCompare},
		"export":  {"write runs' metrics as CSV or a Markdown report", runExport},
		"augment": {"render augmented variants of an image as a grid", runAugment},
		"sweep":   {"repeated runs over a grid × seeds × folds, here or as a Slurm job array, with their statistics", runSweep},
	}
}

func main() {
	limitHeap()
	kernel.UseBLAS()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// limitHeap sets Go's soft memory limit to 90 % of the machine's memory
// (unless GOMEMLIMIT is set): training allocates large short-lived tensors,
// and without a limit the collector lets the heap grow to twice the live
// data before it runs, which on a big network is the difference between
// fitting and being killed.
//
// The collector also runs at half the usual heap growth (GOGC 50 unless
// GOGC is set): a training step's garbage is tensors, so collecting twice
// as often costs no measurable time and lowers ResNet-50's peak by a
// quarter.
func limitHeap() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if total := sysmem.Physical(); total > 0 {
		debug.SetMemoryLimit(total * 9 / 10)
	}
}

// run runs one command line and returns the process's exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if _, err := jpegDecoderEnv(); err != nil {
		err = usagef("RESLAB_JPEG: %v", err)
		report(stderr, "", err)
		return exitCode(err)
	}
	if len(args) == 0 || (len(args[0]) > 0 && args[0][0] == '-' && args[0] != "-h" && args[0] != "--help") {
		err := runLab(ctx, args, stdout, stderr)
		report(stderr, "", err)
		return exitCode(err)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout, cmds)
		return exitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		err := usagef("unknown command %q; run 'reslab help' for the list", name)
		report(stderr, "", err)
		return exitCode(err)
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	if name == "lab" {
		name = ""
	}
	report(stderr, name, err)
	return exitCode(err)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "reslab: a terminal lab for residual networks on image folders")
	fmt.Fprintln(w, "\nUsage:\n  reslab [--runs DIR] [--data DIR]   open the lab\n  reslab COMMAND [flags] [args]\n\nCommands:")
	for _, name := range []string{"lab", "train", "resume", "sweep", "runs", "show", "compare", "predict", "export", "lr-find", "bench", "augment"} {
		fmt.Fprintf(w, "  %-8s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'reslab COMMAND -h' for a command's flags.")
}
