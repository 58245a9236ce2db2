package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/internal/sysmem"
	"github.com/reslab/reslab/train"
)

const sweepSynopsis = `sweep [train flags] --grid KEY=V1,V2 [--grid …] [--seeds N] [--folds K] --name NAME [--jobs N | --slurm …]
       reslab sweep resume NAME [--jobs N | --slurm …]
       reslab sweep list [--json]
       reslab sweep show NAME [--each] [--json]
       reslab sweep cancel NAME
       reslab sweep task NAME [INDEX]   (what each local job and Slurm array task runs)`

// runSweep is `reslab sweep`: a new sweep, or one of its subcommands.
func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "resume":
			return runSweepResume(ctx, args[1:], stdout, stderr)
		case "list":
			return runSweepList(ctx, args[1:], stdout, stderr)
		case "show":
			return runSweepShow(ctx, args[1:], stdout, stderr)
		case "cancel":
			return runSweepCancel(ctx, args[1:], stdout, stderr)
		case "task":
			return runSweepTask(ctx, args[1:], stdout, stderr)
		}
	}
	return runSweepNew(ctx, args, stdout, stderr)
}

// gridFlag collects repeated --grid KEY=V1,V2 flags.
type gridFlag []experiments.Axis

func (g *gridFlag) String() string { return "" }

func (g *gridFlag) Set(v string) error {
	key, values, ok := strings.Cut(v, "=")
	key = strings.ReplaceAll(strings.TrimSpace(strings.TrimLeft(key, "-")), "_", "-")
	if key == "depth" {
		key = "arch"
	}
	if !ok || key == "" || strings.TrimSpace(values) == "" {
		return fmt.Errorf("want KEY=V1,V2 such as arch=resnet18,resnet34")
	}
	axis := experiments.Axis{Key: key}
	for _, x := range strings.Split(values, ",") {
		if x = strings.TrimSpace(x); x != "" {
			axis.Values = append(axis.Values, x)
		}
	}
	for _, a := range *g {
		if a.Key == key {
			return fmt.Errorf("%s is already a grid axis", key)
		}
	}
	*g = append(*g, axis)
	return nil
}

// runFlags are how a sweep's runs are executed: here (--jobs) or on Slurm.
type runFlags struct {
	jobs        *int
	useSlurm    *bool
	partition   *string
	timeLimit   *string
	mem         *string
	cpus        *int
	maxParallel *int
	binary      *string
	dryRun      *bool
}

func addRunFlags(fs *flag.FlagSet) *runFlags {
	return &runFlags{
		jobs:        fs.Int("jobs", 1, "runs at once on this machine, each on its share of the cores"),
		useSlurm:    fs.Bool("slurm", false, "submit the runs as a Slurm job array instead of running them here"),
		partition:   fs.String("partition", "", "slurm: the partition (default: the cluster's)"),
		timeLimit:   fs.String("time", "", "slurm: time limit per task, such as 2h (default: from measured speed)"),
		mem:         fs.String("mem", "", "slurm: memory per task, such as 4G (default: the memory estimate)"),
		cpus:        fs.Int("cpus", 0, "slurm: cores per task (default 2)"),
		maxParallel: fs.Int("max-parallel", 0, "slurm: at most this many tasks at once (the array's %K)"),
		binary:      fs.String("binary", "", "slurm: the reslab `path` the compute nodes run (default: this one)"),
		dryRun:      fs.Bool("dry-run", false, "print the plan (and the sbatch script) without running or submitting"),
	}
}

func runSweepNew(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep", sweepSynopsis, stderr)
	sf := newSpecFlags(fs)
	grid, seeds, folds, foldSeed := addSweepFlags(fs)
	// --name, a run's label in train, names the sweep; its runs are named
	// after it.
	name := fs.Lookup("name").Value.String
	rf := addRunFlags(fs)
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q: a new sweep takes flags only (reslab sweep -h)", pos[0])
	}
	sweepName := name()
	if sweepName == "" {
		sweepName = "sweep-" + time.Now().Format("20060102-150405")
	}
	for _, a := range *grid {
		switch f := fs.Lookup(a.Key); {
		case f == nil:
			return usagef("--grid %s: no such train flag ('reslab train -h' lists them)", a.Key)
		case a.Key == "seed":
			return usagef("--grid seed: use --seeds N (seeds are paired across arms)")
		case sweepOnlyFlag(a.Key):
			return usagef("--grid %s: not a run setting", a.Key)
		}
	}
	// Each arm is the command line with the arm's values appended, read by
	// the same flags as `reslab train`: an axis means what its flag means.
	var arms []experiments.Arm
	for _, values := range experiments.Combinations(*grid) {
		armArgs := append([]string(nil), args...)
		for i, a := range *grid {
			armArgs = append(armArgs, "--"+a.Key+"="+values[i])
		}
		afs := flag.NewFlagSet("sweep", flag.ContinueOnError)
		afs.SetOutput(io.Discard)
		asf := newSpecFlags(afs)
		addSweepFlags(afs)
		addRunFlags(afs)
		if _, err := parseInterspersed(afs, armArgs); err != nil {
			return usagef("--grid: %v", err)
		}
		label := experiments.ArmLabel(*grid, values)
		spec, err := asf.spec()
		if err != nil {
			return usagef("arm %s: %w", label, err)
		}
		arms = append(arms, experiments.Arm{Label: label, Values: values, Spec: absData(spec)})
	}
	sw, err := experiments.NewSweep(sweepName, *grid, arms, *seeds, *folds, int64(*foldSeed))
	if err != nil {
		return usagef("%w", err)
	}
	store, err := experiments.OpenStore(runsDir(*sf.runs))
	if err != nil {
		return err
	}
	plan, err := planSweep(store, sw, rf)
	if err != nil {
		return err
	}
	printPlan(stdout, sw, plan)
	if *rf.dryRun {
		return dryRun(stdout, store, sw, rf, plan)
	}
	if *rf.useSlurm {
		// The Slurm flags are read before anything is saved, so a bad
		// --time or --mem leaves no sweep behind.
		if _, err := sbatchScript(store, sw, rf, plan, []int{0}); err != nil {
			return err
		}
	}
	if err := store.CreateSweep(sw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep %s saved: %s\n", sw.Name, store.SweepFile(sw.Name))
	return executeSweep(ctx, store, sw, rf, plan, stdout, stderr)
}

// addSweepFlags are the flags that shape a sweep rather than a run.
func addSweepFlags(fs *flag.FlagSet) (grid *gridFlag, seeds, folds, foldSeed *int) {
	grid = &gridFlag{}
	fs.Var(grid, "grid", "a grid axis `KEY=V1,V2`: any train flag and its values (repeat for more axes)")
	seeds = fs.Int("seeds", 1, "seeds per combination (the spec's seed, +1, …)")
	folds = fs.Int("folds", 0, "stratified K-fold cross-validation over train and valid pooled (0: the data's validation split)")
	foldSeed = fs.Int("fold-seed", 1, "seed of the fold assignment (the same for every arm)")
	return
}

// sweepOnlyFlag names flags that are not run settings.
func sweepOnlyFlag(name string) bool {
	switch name {
	case "grid", "seeds", "folds", "fold-seed", "name", "runs", "no-tui", "jobs", "slurm", "partition", "time", "mem", "cpus",
		"max-parallel", "binary", "dry-run":
		return true
	}
	return false
}

// absData stores the data folder absolute, as a run does, so that Slurm
// tasks started elsewhere find it.
func absData(s experiments.Spec) experiments.Spec {
	if s.Data != "" && !filepath.IsAbs(s.Data) {
		if abs, err := filepath.Abs(s.Data); err == nil {
			s.DataAsGiven, s.Data = s.Data, abs
		}
	}
	return s
}

// sweepPlan is what the sweep needs of a machine: per run, the largest
// arm's peak memory and the slowest arm's time, where known.
type sweepPlan struct {
	images     int     // labelled images (train + valid) of the data
	runBytes   int64   // the largest arm's estimated peak
	runSeconds float64 // the slowest arm's estimated time; NaN: not measured
	basis      string
}

func planSweep(store *experiments.Store, sw *experiments.Sweep, rf *runFlags) (sweepPlan, error) {
	p := sweepPlan{runSeconds: math.NaN()}
	ds, err := experiments.OpenData(sw.Runs[0].Spec)
	if err != nil {
		return p, err
	}
	p.images = ds.Train.Len() + ds.Valid.Len()
	// Each run sees one fold's share of the images when cross-validating.
	trainImages, validImages := ds.Train.Len(), ds.Valid.Len()
	if sw.Folds > 0 {
		validImages = p.images / sw.Folds
		trainImages = p.images - validImages
	}
	runs, _, _ := store.List()
	var slowest float64
	for _, arm := range sw.Arms {
		spec := arm.Spec
		e, err := experiments.EstimateSpec(spec, experiments.EstimateInput{Classes: len(ds.Classes), TrainImages: trainImages,
			ValidImages: validImages, Budget: math.MaxInt64, Runs: runs})
		if err != nil {
			return p, err
		}
		p.runBytes = max(p.runBytes, e.RunBytes)
		if !math.IsNaN(e.SecPerEpoch) {
			secs := e.SecPerEpoch * float64(spec.Epochs)
			if spec.BudgetSeconds > 0 {
				secs = math.Min(secs, spec.BudgetSeconds)
			}
			if secs > slowest {
				slowest, p.basis = secs, e.Basis
			}
		}
	}
	if slowest > 0 {
		p.runSeconds = slowest
	}
	if *rf.jobs < 1 {
		return p, usagef("--jobs %d: want 1 or more", *rf.jobs)
	}
	if *rf.jobs > 1 && !*rf.useSlurm {
		if avail := sysmem.Physical() * 9 / 10; avail > 0 && int64(*rf.jobs)*p.runBytes > avail {
			return p, usagef("--jobs %d: %d runs of up to %s each need %s, more than this machine's %s; use --jobs %d or fewer",
				*rf.jobs, *rf.jobs, gigabytes(p.runBytes), gigabytes(int64(*rf.jobs)*p.runBytes), gigabytes(avail), max(avail/max(p.runBytes, 1), 1))
		}
	}
	return p, nil
}

func gigabytes(b int64) string { return fmt.Sprintf("%.2g GB", float64(b)/1e9) }

func printPlan(w io.Writer, sw *experiments.Sweep, p sweepPlan) {
	folds := "the data's validation split"
	if sw.Folds > 0 {
		folds = fmt.Sprintf("%d stratified folds of %d images (fold seed %d)", sw.Folds, p.images, sw.FoldSeed)
	}
	fmt.Fprintf(w, "sweep %s: %d arm(s) × %d seed(s) × %s = %d runs\n", sw.Name, len(sw.Arms), sw.Seeds, folds, len(sw.Runs))
	for _, a := range sw.Arms {
		fmt.Fprintf(w, "  arm %s\n", a.Label)
	}
	est := "time per run not known yet (no run of these settings measured here)"
	if !math.IsNaN(p.runSeconds) {
		est = fmt.Sprintf("≈ %s per run, %s in all one at a time (%s)", experiments.Duration(p.runSeconds),
			experiments.Duration(p.runSeconds*float64(len(sw.Runs))), p.basis)
	}
	fmt.Fprintf(w, "  memory ≈ %s per run; %s\n", gigabytes(p.runBytes), est)
}

// executeSweep runs the sweep's unfinished runs here, or submits them to
// Slurm, then reports.
func executeSweep(ctx context.Context, store *experiments.Store, sw *experiments.Sweep, rf *runFlags, p sweepPlan, stdout, stderr io.Writer) error {
	if *rf.useSlurm {
		return submitSweep(ctx, store, sw, rf, p, stdout)
	}
	var err error
	if *rf.jobs > 1 {
		err = runSweepJobs(ctx, store, sw, *rf.jobs, stdout)
	} else {
		err = runSweepHere(ctx, store, sw, stdout, stderr)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stdout, "sweep %s stopped; continue it with: reslab sweep resume %s\n", sw.Name, sw.Name)
		return errRunStopped
	}
	if err != nil {
		return err
	}
	rep, err := showSweep(ctx, store, sw, false, false, stdout)
	if err != nil {
		return err
	}
	// A failed run does not stop the others, but the sweep did not succeed.
	if c := rep.Counts; c.Failed > 0 {
		return fmt.Errorf("sweep %s: %d of %d runs failed (their errors are above and in reslab sweep show %s --each); reslab sweep resume %s starts them again",
			sw.Name, c.Failed, c.Total, sw.Name, sw.Name)
	}
	return nil
}

// pendingRuns are the indices not finished (nor running elsewhere).
func pendingRuns(store *experiments.Store, sw *experiments.Sweep) ([]int, error) {
	runs, _, err := store.List()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, st := range sw.Progress(runs) {
		if !st.State.Finished() && st.State != experiments.StateRunning {
			out = append(out, st.Index)
		}
	}
	return out, nil
}

// runSweepHere trains the pending runs one after another in this process.
func runSweepHere(ctx context.Context, store *experiments.Store, sw *experiments.Sweep, stdout, stderr io.Writer) error {
	pending, err := pendingRuns(store, sw)
	if err != nil {
		return err
	}
	runner := &experiments.Runner{Store: store, Logger: fileLogger(store.Dir), ImageCache: imageCache(), JPEG: jpegDecoder()}
	for k, i := range pending {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sess, err := runner.StartSweepRun(ctx, sw, i)
		switch {
		case errors.Is(err, experiments.ErrSweepRunDone) || errors.Is(err, experiments.ErrSweepRunBusy):
			fmt.Fprintf(stdout, "[%d/%d] %v\n", k+1, len(pending), err)
			continue
		case err != nil:
			return fmt.Errorf("sweep %s run %d: %w", sw.Name, i, err)
		}
		prog := newProgress(stderr, sess.Meta.TrainImages, sess.Meta.ValidImages)
		for e := range sess.Events {
			switch ev := e.(type) {
			case train.StepEvent:
				prog.step(ev)
			case train.EpochEvent:
				prog.epoch(ev.Metrics)
			}
		}
		prog.clear()
		res, err := sess.Wait()
		fmt.Fprintf(stdout, "[%d/%d] %s\n", k+1, len(pending), runLine(sw, i, sess.ID, res, err))
		// A failed run is told and the sweep goes on (resume starts it
		// again); a stopped one stops the sweep.
		if errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

// runHead names run i of a sweep in the progress lines: its index, arm,
// seed and fold.
func runHead(sw *experiments.Sweep, i int) string {
	r := sw.Runs[i]
	head := fmt.Sprintf("run %d %s seed %d", i, sw.Arms[r.Arm].Label, r.Seed)
	if sw.Folds > 0 {
		head += fmt.Sprintf(" fold %d/%d", r.Fold+1, sw.Folds)
	}
	return head
}

// runLine is one finished run of a sweep.
func runLine(sw *experiments.Sweep, i int, id string, res train.FitResult, err error) string {
	head := runHead(sw, i)
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("%s: stopped (%s)", head, id)
	case err != nil:
		return fmt.Sprintf("%s: failed: %s (%s)", head, experiments.OneLine(err.Error()), id)
	}
	last := ""
	if n := len(res.History); n > 0 {
		last = fmt.Sprintf(", last val acc %.1f%% at epoch %d", 100*res.History[n-1].ValAcc, n)
	}
	return fmt.Sprintf("%s: %s%s (%s)", head, res.Status, last, id)
}

// runSweepJobs runs the pending runs `jobs` at a time, each as its own
// `reslab sweep task` process with its share of the cores (GOMAXPROCS is
// per process, so runs in one process could not be given shares). Each
// task's output goes to the sweep's logs folder.
func runSweepJobs(ctx context.Context, store *experiments.Store, sw *experiments.Sweep, jobs int, stdout io.Writer) error {
	pending, err := pendingRuns(store, sw)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to run the jobs: %w", err)
	}
	logs := store.SweepLogs(sw.Name)
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	share := max(runtime.NumCPU()/jobs, 1)
	work := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := 0
	for range min(jobs, len(pending)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				line := runTaskProcess(ctx, exe, store.Dir, sw, i, share, filepath.Join(logs, fmt.Sprintf("local-%d.out", i)))
				mu.Lock()
				done++
				fmt.Fprintf(stdout, "[%d/%d] %s\n", done, len(pending), line)
				mu.Unlock()
			}
		}()
	}
	for _, i := range pending {
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	return ctx.Err()
}

// runTaskProcess runs one `reslab sweep task` and says how it ended.
func runTaskProcess(ctx context.Context, exe, runs string, sw *experiments.Sweep, i, cores int, logPath string) string {
	head := runHead(sw, i)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Sprintf("%s: %v", head, err)
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, exe, "sweep", "task", "--runs", runs, sw.Name, strconv.Itoa(i))
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", cores))
	cmd.Stdout, cmd.Stderr = logf, logf
	// Interrupted, the job is asked to stop (it saves a checkpoint), not
	// killed.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Minute
	err = cmd.Run()
	switch {
	case ctx.Err() != nil:
		return fmt.Sprintf("%s: stopped (log %s)", head, logPath)
	case err != nil:
		return fmt.Sprintf("%s: failed: %v (log %s)", head, err, logPath)
	}
	return fmt.Sprintf("%s: done (log %s)", head, logPath)
}

func runSweepResume(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep resume", "sweep resume NAME [--jobs N | --slurm …]", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	rf := addRunFlags(fs)
	store, sw, err := parseSweepArgs(fs, runs, args)
	if err != nil {
		return err
	}
	plan, err := planSweep(store, sw, rf)
	if err != nil {
		return err
	}
	pending, err := pendingRuns(store, sw)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep %s: %d of %d runs to train or continue\n", sw.Name, len(pending), len(sw.Runs))
	return executeSweep(ctx, store, sw, rf, plan, stdout, stderr)
}

// parseSweepArgs parses a subcommand's flags (runs is its --runs) and its
// one argument, the sweep's name, and opens that sweep.
func parseSweepArgs(fs *flag.FlagSet, runs *string, args []string) (*experiments.Store, *experiments.Sweep, error) {
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != 1 {
		return nil, nil, usagef("name one sweep: reslab %s NAME ('reslab sweep list' lists them)", fs.Name())
	}
	store, err := experiments.OpenStore(runsDir(*runs))
	if err != nil {
		return nil, nil, err
	}
	sw, err := store.LoadSweep(pos[0])
	if err != nil {
		return nil, nil, err
	}
	return store, sw, nil
}

// runSweepTask trains one run of a sweep: what a local job and a Slurm
// array task run. The index is the argument, else $SLURM_ARRAY_TASK_ID.
func runSweepTask(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep task", "sweep task NAME [INDEX]", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usagef("sweep task NAME [INDEX]: the index defaults to $SLURM_ARRAY_TASK_ID")
	}
	index := os.Getenv("SLURM_ARRAY_TASK_ID")
	if len(pos) == 2 {
		index = pos[1]
	}
	i, err := strconv.Atoi(index)
	if err != nil {
		return usagef("sweep task: index %q: give the run number, or run inside a Slurm array task ($SLURM_ARRAY_TASK_ID)", index)
	}
	store, err := experiments.OpenStore(runsDir(*runs))
	if err != nil {
		return err
	}
	sw, err := store.LoadSweep(pos[0])
	if err != nil {
		return err
	}
	runner := &experiments.Runner{Store: store, Logger: fileLogger(store.Dir), ImageCache: imageCache(), JPEG: jpegDecoder()}
	sess, err := runner.StartSweepRun(ctx, sw, i)
	if errors.Is(err, experiments.ErrSweepRunDone) {
		fmt.Fprintf(stdout, "%v: nothing to do\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep %s run %d: %s (host %s, pid %d)\n", sw.Name, i, sess.ID, hostname(), os.Getpid())
	return followSession(sess, sess.Meta.Spec.Epochs, stdout, stderr)
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
