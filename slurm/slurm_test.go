package slurm

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScriptRendersTheArray(t *testing.T) {
	a := Array{JobName: "reslab-depth", Tasks: 12, MaxParallel: 3, CPUs: 2, MemoryMB: 1500, Time: 90*time.Minute + time.Second,
		Partition: "gpu", Output: "/runs/sweeps/depth/logs/%A_%a.out", Requeue: true, SignalBefore: 2 * time.Minute,
		Env: []string{"GOMAXPROCS=2"}, Command: []string{"/opt/reslab", "sweep", "task", "--runs", "/shared/my runs", "depth", TaskID}}
	s, err := a.Script()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#!/bin/bash\n", "#SBATCH --array=0-11%3\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --mem=1500M\n",
		"#SBATCH --time=01:31:00\n", "#SBATCH --partition=gpu\n", "#SBATCH --output=/runs/sweeps/depth/logs/%A_%a.out\n",
		"#SBATCH --requeue\n", "#SBATCH --signal=B:TERM@120\n", "export GOMAXPROCS=2\n",
		"exec /opt/reslab sweep task --runs '/shared/my runs' depth \"$SLURM_ARRAY_TASK_ID\"\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if _, err := (Array{Tasks: 0, Command: []string{"x"}}).Script(); err == nil {
		t.Error("an array of no tasks rendered")
	}
	if _, err := (Array{Tasks: 1, Command: []string{"x"}, Env: []string{"BAD NAME=1"}}).Script(); err == nil {
		t.Error("a bad environment name rendered")
	}
}

// TestScriptQuotesForBash runs the rendered command line through bash
// (with echo in place of the program) and checks every argument arrives
// as it was given.
func TestScriptQuotesForBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	args := []string{"plain", "with space", "it's", `$HOME`, "`x`", "a\"b", TaskID}
	a := Array{Tasks: 1, Command: append([]string{"printf", `%s\n`}, args...)}
	s, err := a.Script()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "job.sh")
	if err := os.WriteFile(path, []byte(s), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, path)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=7")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := append(append([]string(nil), args[:len(args)-1]...), "7")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bash saw %q, want %q", got, want)
	}
}

func TestFormatTime(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{time.Second, "00:01:00"}, {59 * time.Minute, "00:59:00"}, {25*time.Hour + 30*time.Second, "1-01:01:00"}} {
		if got := FormatTime(c.d); got != c.want {
			t.Errorf("FormatTime(%v) = %s, want %s", c.d, got, c.want)
		}
	}
}

func TestArrayIndices(t *testing.T) {
	for _, c := range []struct {
		id   string
		want []int
	}{{"41_3", []int{3}}, {"41_[0-2,5%2]", []int{0, 1, 2, 5}}, {"42_1", nil}, {"41", nil}, {"41_[x]", nil}} {
		if got := arrayIndices("41", c.id); !reflect.DeepEqual(got, c.want) {
			t.Errorf("arrayIndices(41, %s) = %v, want %v", c.id, got, c.want)
		}
	}
}

func TestIndexList(t *testing.T) {
	if got := indexList([]int{9, 0, 1, 2, 3, 7, 10, 10}); got != "0-3,7,9-10" {
		t.Errorf("indexList = %q, want 0-3,7,9-10", got)
	}
	s, err := (Array{Indices: []int{4, 2, 3}, Tasks: 99, Command: []string{"x"}}).Script()
	if err != nil || !strings.Contains(s, "#SBATCH --array=2-4\n") {
		t.Errorf("an array of indices 2-4 rendered %q (%v)", s, err)
	}
}

func TestSummary(t *testing.T) {
	tasks := map[int]Task{0: {State: "RUNNING"}, 1: {State: "PENDING"}, 2: {State: "PENDING"}}
	if got := Summary(tasks); got != "2 pending, 1 running" {
		t.Errorf("Summary = %q", got)
	}
	if got := Summary(nil); !strings.Contains(got, "finished") {
		t.Errorf("Summary(nil) = %q", got)
	}
	if got := Line("7", tasks, nil); got != "slurm job 7: 2 pending, 1 running" {
		t.Errorf("Line = %q", got)
	}
	if got := Line("7", nil, errors.New("squeue: fatal:\n no config")); got != "slurm job 7: state not available (squeue: fatal: no config)" {
		t.Errorf("Line with an error = %q", got)
	}
}
