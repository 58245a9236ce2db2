package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for reslab when a test runs it as
// a child process (sweep --jobs starts `reslab sweep task` processes).
func TestMain(m *testing.M) {
	if os.Getenv("RESLAB_AS_MAIN") == "1" {
		main()
		return
	}
	// The tests' runs must not fill the user's cache folder.
	cache, err := os.MkdirTemp("", "reslab-image-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("RESLAB_IMAGE_CACHE", cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

var tinySweep = []string{"--width", "4", "--size", "32", "--epochs", "2", "--batch", "16", "--grid", "arch=18,34"}

func TestSweepCommandRunsReportsAndResumes(t *testing.T) {
	runs := t.TempDir()
	args := append([]string{"sweep", "--runs", runs, "--folds", "2", "--name", "depth"}, tinySweep...)
	code, out, errOut := runReslab(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"2 arm(s) × 1 seed(s) × 2 stratified folds", "[4/4] run 3 arch=34 seed 1 fold 2/2: completed",
		"out-of-fold acc of 390 (Wilson)", "paired on the same images", "verdict: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runReslab(t, "sweep", "show", "depth", "--runs", runs, "--json")
	var shown struct {
		Runs []struct {
			Run   string `json:"run"`
			State string `json:"state"`
		} `json:"runs"`
		Report struct {
			Counts struct{ Done, Total int } `json:"counts"`
			Arms   []struct {
				Pooled *struct{ Images int } `json:"pooled_out_of_fold"`
			} `json:"arms"`
			Verdict string `json:"verdict"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != 0 {
		t.Fatalf("show --json: exit %d, %v\n%s", code, err, out)
	}
	if shown.Report.Counts.Done != 4 || len(shown.Runs) != 4 || shown.Runs[3].State != "completed" || shown.Report.Verdict == "" ||
		shown.Report.Arms[0].Pooled == nil || shown.Report.Arms[0].Pooled.Images != 390 {
		t.Errorf("show --json: %+v", shown)
	}
	if code, out, _ := runReslab(t, "sweep", "resume", "depth", "--runs", runs); code != 0 || !strings.Contains(out, "0 of 4 runs to train") {
		t.Errorf("resume of a finished sweep: exit %d\n%s", code, out)
	}
	if code, out, _ := runReslab(t, "sweep", "list", "--runs", runs); code != 0 || !strings.Contains(out, "4/4 done") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	// A task for a finished run has nothing to do; the index can come from
	// Slurm's environment.
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	if code, out, errOut := runReslab(t, "sweep", "task", "--runs", runs, "depth"); code != 0 || !strings.Contains(out, "already completed") {
		t.Errorf("task of a finished run: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runReslab(t, append([]string{"sweep", "--runs", runs, "--name", "depth"}, tinySweep...)...); code == 0 {
		t.Error("a second sweep of the same name was made")
	}
}

func TestSweepCommandRejectsBadInput(t *testing.T) {
	runs := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sweep", "--runs", runs, "--grid", "bogus=1,2"}, 2, "no such train flag"},
		{[]string{"sweep", "--runs", runs, "--grid", "seed=1,2"}, 2, "--seeds"},
		{[]string{"sweep", "--runs", runs, "--grid", "arch=18,99"}, 2, "arm arch=99"},
		{[]string{"sweep", "--runs", runs, "--grid", "arch"}, 2, "KEY=V1,V2"},
		{[]string{"sweep", "--runs", runs, "--folds", "1"}, 2, "--folds 1"},
		{[]string{"sweep", "--runs", runs, "--name", "../out"}, 2, "sweep name"},
		{[]string{"sweep", "show", "nothing", "--runs", runs}, 1, "no such sweep"},
		{[]string{"sweep", "show", "../../etc/passwd", "--runs", runs}, 2, "sweep name"},
		{[]string{"sweep", "task", "--runs", runs, "x"}, 2, "SLURM_ARRAY_TASK_ID"},
	} {
		code, out, errOut := runReslab(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, want %d with %q on one line\nstdout %s\nstderr %s", c.args, code, c.code, c.want, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(runs, "sweeps")); len(entries) != 0 {
		t.Errorf("rejected sweeps left files: %v", entries)
	}
}

func TestSweepSlurmDryRunWritesTheArray(t *testing.T) {
	runs := t.TempDir()
	code, out, errOut := runReslab(t, append([]string{"sweep", "--runs", runs, "--seeds", "2", "--name", "cl", "--slurm", "--dry-run",
		"--mem", "2G", "--time", "30m", "--max-parallel", "2", "--partition", "short", "--binary", "/opt/reslab"}, tinySweep...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	abs, _ := filepath.Abs(runs)
	for _, want := range []string{"#SBATCH --array=0-3%2\n", "#SBATCH --mem=2048M\n", "#SBATCH --time=00:30:00\n", "#SBATCH --partition=short\n",
		"#SBATCH --requeue\n", "#SBATCH --signal=B:TERM@120\n", "exec /opt/reslab sweep task --runs " + abs + " cl \"$SLURM_ARRAY_TASK_ID\"\n",
		"dry run: nothing was saved"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(runs, "sweeps", "cl.json")); err == nil {
		t.Error("a dry run saved the sweep")
	}
}

// TestSweepJobsRunInTheirOwnProcesses runs a sweep two jobs at a time: each
// run is a `reslab sweep task` process (this test binary standing in) with
// its log in the sweep's folder.
func TestSweepJobsRunInTheirOwnProcesses(t *testing.T) {
	t.Setenv("RESLAB_AS_MAIN", "1") // for the children; this process is past TestMain
	runs := t.TempDir()
	code, out, errOut := runReslab(t, append([]string{"sweep", "--runs", runs, "--name", "jobs", "--jobs", "2"}, tinySweep...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Count(out, ": done (log ") != 2 || !strings.Contains(out, "2/2 done") {
		t.Errorf("output:\n%s", out)
	}
	for i := range 2 {
		log, err := os.ReadFile(filepath.Join(runs, "sweeps", "jobs", "logs", "local-"+string(rune('0'+i))+".out"))
		if err != nil || !strings.Contains(string(log), "completed") || !strings.Contains(string(log), "epoch 2/2") {
			t.Errorf("job %d log: %v\n%s", i, err, log)
		}
	}
}
