// Package slurm runs work on a Slurm cluster through Slurm's own commands:
// it writes a job-array batch script, submits it with sbatch, reads the
// tasks' states with squeue and sacct, and cancels with scancel. reslab
// schedules nothing itself on a cluster; this package is the whole of its
// contact with the scheduler, and knows nothing of runs or sweeps.
package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNoSlurm says Slurm's commands are not installed here.
var ErrNoSlurm = errors.New("slurm's commands are not installed")

// Array describes a job array: one task per index 0 … Tasks-1, each
// running Command with the task's index in $SLURM_ARRAY_TASK_ID.
type Array struct {
	JobName string
	// Indices are the tasks' indices (the runs a resubmission still
	// needs); when empty, Tasks gives 0 … Tasks-1.
	Indices   []int
	Tasks     int
	Partition string        // "": the cluster's default
	Time      time.Duration // per task; 0: the partition's default
	MemoryMB  int           // per task; 0: the cluster's default
	CPUs      int           // per task; 0: one
	// MaxParallel throttles the array (%K); 0: no limit.
	MaxParallel int
	// Output is the log file pattern, such as /runs/sweeps/x/logs/%A_%a.out.
	Output string
	// Requeue lets Slurm requeue a preempted or failed node's task; the
	// command must then continue where it stopped.
	Requeue bool
	// SignalBefore sends SIGTERM this long before the time limit, so the
	// command can save its state.
	SignalBefore time.Duration
	// Env is exported before the command (KEY=value).
	Env []string
	// Command is the argv every task runs; "$SLURM_ARRAY_TASK_ID" in an
	// argument is expanded by the shell, everything else is quoted.
	Command []string
}

// TaskID is the placeholder an argument of Array.Command uses for the
// task's index.
const TaskID = "$SLURM_ARRAY_TASK_ID"

// Script renders the sbatch script.
func (a Array) Script() (string, error) {
	array := indexList(a.Indices)
	if len(a.Indices) == 0 {
		if a.Tasks < 1 {
			return "", fmt.Errorf("slurm: a job array needs at least one task, not %d", a.Tasks)
		}
		array = fmt.Sprintf("0-%d", a.Tasks-1)
	}
	if len(a.Command) == 0 {
		return "", errors.New("slurm: no command for the tasks")
	}
	if strings.ContainsAny(a.JobName+a.Partition+a.Output, "\n\r") {
		return "", errors.New("slurm: job name, partition and output must be single lines")
	}
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	b.WriteString("# Written by reslab: one array task per run; each task trains its run,\n")
	b.WriteString("# or continues it from its last checkpoint when the task was requeued.\n")
	opt := func(format string, args ...any) { fmt.Fprintf(&b, "#SBATCH "+format+"\n", args...) }
	if a.JobName != "" {
		opt("--job-name=%s", a.JobName)
	}
	if a.MaxParallel > 0 {
		array += fmt.Sprintf("%%%d", a.MaxParallel)
	}
	opt("--array=%s", array)
	opt("--ntasks=1")
	opt("--cpus-per-task=%d", max(a.CPUs, 1))
	if a.MemoryMB > 0 {
		opt("--mem=%dM", a.MemoryMB)
	}
	if a.Time > 0 {
		opt("--time=%s", FormatTime(a.Time))
	}
	if a.Partition != "" {
		opt("--partition=%s", a.Partition)
	}
	if a.Output != "" {
		opt("--output=%s", a.Output)
		opt("--open-mode=append") // a requeued task adds to its log
	}
	if a.Requeue {
		opt("--requeue")
	}
	if a.SignalBefore > 0 {
		// B: to the batch shell, which exec makes the command itself.
		opt("--signal=B:TERM@%d", int(a.SignalBefore.Seconds()))
	}
	b.WriteString("set -eu\n")
	for _, kv := range a.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !envName.MatchString(k) {
			return "", fmt.Errorf("slurm: environment entry %q: want NAME=value", kv)
		}
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	b.WriteString("exec")
	for _, arg := range a.Command {
		b.WriteByte(' ')
		if arg == TaskID {
			b.WriteString(`"$SLURM_ARRAY_TASK_ID"`)
		} else {
			b.WriteString(shellQuote(arg))
		}
	}
	b.WriteByte('\n')
	return b.String(), nil
}

// indexList writes indices as Slurm's --array list: "0-3,7,9-10".
func indexList(idx []int) string {
	sorted := append([]int(nil), idx...)
	sort.Ints(sorted)
	var parts []string
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] <= sorted[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(sorted[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", sorted[i], sorted[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

var (
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	safeWord = regexp.MustCompile(`^[A-Za-z0-9_./=:,+@%-]+$`)
)

// shellQuote quotes s for bash: single quotes, with embedded ones closed
// and escaped.
func shellQuote(s string) string {
	if safeWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FormatTime writes a duration as Slurm's D-HH:MM:SS, rounded up to a
// whole minute.
func FormatTime(d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	days, mins := mins/(24*60), mins%(24*60)
	if days > 0 {
		return fmt.Sprintf("%d-%02d:%02d:00", days, mins/60, mins%60)
	}
	return fmt.Sprintf("%02d:%02d:00", mins/60, mins%60)
}

// Commands are the Slurm programs, by name; tests and odd installations
// can point them elsewhere.
type Commands struct {
	Sbatch, Squeue, Sacct, Scancel string
}

// Default uses the programs on $PATH.
var Default = Commands{Sbatch: "sbatch", Squeue: "squeue", Sacct: "sacct", Scancel: "scancel"}

func (c Commands) run(ctx context.Context, name string, args ...string) (string, error) {
	if _, err := exec.LookPath(name); err != nil {
		return "", fmt.Errorf("%w (%s not found: install Slurm's client commands, such as Debian's slurm-client, or run on a login node)", ErrNoSlurm, name)
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// Submit submits a batch script file and returns the job id.
func (c Commands) Submit(ctx context.Context, script string) (string, error) {
	out, err := c.run(ctx, c.Sbatch, "--parsable", script)
	if err != nil {
		return "", err
	}
	// --parsable prints "jobid" or "jobid;cluster".
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("sbatch printed %q, not a job id", strings.TrimSpace(out))
	}
	return id, nil
}

// Task is one array task's state as Slurm reports it.
type Task struct {
	Index  int    `json:"index"`
	State  string `json:"state"`            // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, REQUEUED…
	Reason string `json:"reason,omitempty"` // squeue's reason for a pending task
}

// Tasks reads the array's tasks: squeue for those still queued or running,
// then sacct (when the cluster keeps accounting) for the finished ones.
// Indices Slurm no longer knows are absent.
func (c Commands) Tasks(ctx context.Context, jobID string) (map[int]Task, error) {
	tasks := map[int]Task{}
	// sacct first, squeue over it: a requeued task's accounting says
	// REQUEUED while squeue has it PENDING or RUNNING again.
	if out, err := c.run(ctx, c.Sacct, "-n", "-P", "-X", "-j", jobID, "-o", "JobID,State"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			id, state, ok := strings.Cut(strings.TrimSpace(line), "|")
			if !ok {
				continue
			}
			for _, i := range arrayIndices(jobID, id) {
				tasks[i] = Task{Index: i, State: strings.Fields(state + " ")[0]}
			}
		}
	}
	out, err := c.run(ctx, c.Squeue, "-h", "-r", "-j", jobID, "-o", "%i|%T|%r")
	if err != nil {
		// A job squeue has forgotten is "Invalid job id": finished long ago.
		if len(tasks) > 0 || strings.Contains(err.Error(), "Invalid job id") {
			return tasks, nil
		}
		return nil, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) < 2 {
			continue
		}
		for _, i := range arrayIndices(jobID, f[0]) {
			t := Task{Index: i, State: f[1]}
			if len(f) > 2 && f[2] != "None" {
				t.Reason = f[2]
			}
			tasks[i] = t
		}
	}
	return tasks, nil
}

// arrayIndices reads the task indices of an array job id as squeue and
// sacct print them: "12_3", or "12_[4-6,9%2]" for tasks not yet split out.
func arrayIndices(jobID, id string) []int {
	rest, ok := strings.CutPrefix(id, jobID+"_")
	if !ok {
		return nil
	}
	if n, err := strconv.Atoi(rest); err == nil {
		return []int{n}
	}
	rest = strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]")
	rest, _, _ = strings.Cut(rest, "%")
	var out []int
	for _, part := range strings.Split(rest, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || b < a || b-a > 100000 {
			continue
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

// Cancel cancels the job (every task of an array).
func (c Commands) Cancel(ctx context.Context, jobID string) error {
	_, err := c.run(ctx, c.Scancel, jobID)
	return err
}

// Line is a job's tasks for a person, "slurm job 12: 2 pending, 1
// running", or why Slurm could not say (err from Tasks).
func Line(jobID string, tasks map[int]Task, err error) string {
	if err != nil {
		return fmt.Sprintf("slurm job %s: state not available (%s)", jobID, strings.Join(strings.Fields(err.Error()), " "))
	}
	return fmt.Sprintf("slurm job %s: %s", jobID, Summary(tasks))
}

// Summary counts tasks by state in a line: "2 pending, 1 running".
func Summary(tasks map[int]Task) string {
	if len(tasks) == 0 {
		return "Slurm no longer lists its tasks (finished)"
	}
	counts := map[string]int{}
	for _, t := range tasks {
		counts[strings.ToLower(t.State)]++
	}
	states := make([]string, 0, len(counts))
	for s := range counts {
		states = append(states, s)
	}
	sort.Strings(states)
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = fmt.Sprintf("%d %s", counts[s], s)
	}
	return strings.Join(parts, ", ")
}
