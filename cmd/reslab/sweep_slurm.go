package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/slurm"
)

// submitSweep writes the sbatch script for the unfinished runs into the
// sweep's folder, submits it, and records the job in the sweep.
func submitSweep(ctx context.Context, store *experiments.Store, sw *experiments.Sweep, rf *runFlags, p sweepPlan, stdout io.Writer) error {
	pending, err := pendingRuns(store, sw)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		fmt.Fprintf(stdout, "every run of sweep %s has finished or is running; nothing to submit\n", sw.Name)
		_, err := showSweep(ctx, store, sw, false, false, stdout)
		return err
	}
	script, err := sbatchScript(store, sw, rf, p, pending)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(store.SweepLogs(sw.Name), 0o755); err != nil {
		return err
	}
	path := filepath.Join(store.SweepDir(sw.Name), fmt.Sprintf("sweep-%d.sbatch", len(sw.Slurm)+1))
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return fmt.Errorf("writing the sbatch script: %w", err)
	}
	id, err := slurm.Default.Submit(ctx, path)
	if err != nil {
		return fmt.Errorf("submitting %s: %w", path, err)
	}
	sw.Slurm = append(sw.Slurm, experiments.SlurmJob{JobID: id, Script: path, Submitted: time.Now().UTC(), Partition: *rf.partition})
	if err := store.SaveSweep(sw); err != nil {
		return fmt.Errorf("slurm job %s was submitted but not recorded (cancel it with scancel %s): %w", id, id, err)
	}
	fmt.Fprintf(stdout, "submitted slurm job %s: %d array tasks (%s)\nwatch it with: reslab sweep show %s\n", id, len(pending), path, sw.Name)
	return nil
}

// sbatchScript is the batch script of a Slurm job array for the given
// runs of the sweep: each task runs `reslab sweep task` on its run in the
// (shared) runs folder, with memory from the estimate and time from the
// measured speed unless given. Paths are absolute: the tasks start
// elsewhere.
func sbatchScript(store *experiments.Store, sw *experiments.Sweep, rf *runFlags, p sweepPlan, indices []int) (string, error) {
	exe := *rf.binary
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return "", fmt.Errorf("finding this program for the compute nodes (give --binary PATH): %w", err)
		}
	}
	runs, err := filepath.Abs(store.Dir)
	if err != nil {
		return "", err
	}
	logs, err := filepath.Abs(store.SweepLogs(sw.Name))
	if err != nil {
		return "", err
	}
	cpus := *rf.cpus
	if cpus == 0 {
		cpus = 2
	}
	arr := slurm.Array{JobName: "reslab-" + sw.Name, Indices: indices, Partition: *rf.partition, CPUs: cpus,
		MaxParallel: *rf.maxParallel, Requeue: true, SignalBefore: 2 * time.Minute,
		Output:  filepath.Join(logs, "%A_%a.out"),
		Env:     []string{fmt.Sprintf("GOMAXPROCS=%d", cpus)},
		Command: []string{exe, "sweep", "task", "--runs", runs, sw.Name, slurm.TaskID}}
	if *rf.mem != "" {
		if arr.MemoryMB, err = parseMemory(*rf.mem); err != nil {
			return "", usagef("--mem %s: %w", *rf.mem, err)
		}
	} else {
		// The estimate with room for the Go runtime and the binary.
		arr.MemoryMB = int(float64(p.runBytes)*1.3/1e6) + 256
	}
	switch {
	case *rf.timeLimit != "":
		if arr.Time, err = time.ParseDuration(*rf.timeLimit); err != nil || arr.Time <= 0 {
			return "", usagef("--time %s: want a duration such as 90m or 2h", *rf.timeLimit)
		}
	case !math.IsNaN(p.runSeconds):
		// Twice the measured estimate and ten minutes: a task that runs
		// out is signalled, saves, and is resumed by the next submission.
		arr.Time = time.Duration(2*p.runSeconds)*time.Second + 10*time.Minute
	}
	return arr.Script()
}

// parseMemory reads 4G, 1500M or a number of megabytes.
func parseMemory(s string) (int, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1024, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		s = strings.TrimSuffix(s, "M")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, errors.New("want an amount such as 4G or 1500M")
	}
	return int(math.Ceil(v * mult)), nil
}

// dryRun prints the runs and, for Slurm, the script it would submit.
func dryRun(stdout io.Writer, store *experiments.Store, sw *experiments.Sweep, rf *runFlags, p sweepPlan) error {
	for _, r := range sw.Runs {
		fmt.Fprintf(stdout, "  run %d: %s\n", r.Index, r.Spec.Name)
	}
	if *rf.useSlurm {
		all := make([]int, len(sw.Runs))
		for i := range all {
			all[i] = i
		}
		script, err := sbatchScript(store, sw, rf, p, all)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, script)
	}
	fmt.Fprintln(stdout, "dry run: nothing was saved, run or submitted")
	return nil
}

func runSweepCancel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep cancel", "sweep cancel NAME", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	_, sw, err := parseSweepArgs(fs, runs, args)
	if err != nil {
		return err
	}
	if len(sw.Slurm) == 0 {
		return fmt.Errorf("sweep %s was never submitted to Slurm: a sweep running here stops with ctrl+c (and continues with reslab sweep resume %s)", sw.Name, sw.Name)
	}
	for _, job := range sw.Slurm {
		if err := slurm.Default.Cancel(ctx, job.JobID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "cancelled slurm job %s\n", job.JobID)
	}
	fmt.Fprintf(stdout, "the runs keep their checkpoints: reslab sweep resume %s [--slurm] continues them\n", sw.Name)
	return nil
}
