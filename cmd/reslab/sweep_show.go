package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/slurm"
)

func runSweepList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep list", "sweep list [--json]", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCommandLine(fs, args); err != nil {
		return err
	}
	store, err := experiments.OpenStore(runsDir(*runs))
	if err != nil {
		return err
	}
	sweeps, bad, err := store.Sweeps()
	if err != nil {
		return err
	}
	all, _, err := store.List()
	if err != nil {
		return err
	}
	type row struct {
		Name    string                  `json:"name"`
		Arms    []string                `json:"arms"`
		Seeds   int                     `json:"seeds"`
		Folds   int                     `json:"folds"`
		Runs    int                     `json:"runs"`
		Counts  experiments.SweepCounts `json:"counts"`
		Created time.Time               `json:"created"`
		SlurmID string                  `json:"slurm_job,omitempty"`
	}
	rows := []row{}
	for _, sw := range sweeps {
		r := row{Name: sw.Name, Seeds: sw.Seeds, Folds: sw.Folds, Runs: len(sw.Runs), Counts: experiments.Count(sw.Progress(all)), Created: sw.Created, Arms: []string{}}
		for _, a := range sw.Arms {
			r.Arms = append(r.Arms, a.Label)
		}
		if n := len(sw.Slurm); n > 0 {
			r.SlurmID = sw.Slurm[n-1].JobID
		}
		rows = append(rows, r)
	}
	if *asJSON {
		if bad == nil {
			bad = []experiments.BadRun{}
		}
		return json.NewEncoder(stdout).Encode(struct {
			Sweeps []row                `json:"sweeps"`
			Bad    []experiments.BadRun `json:"unreadable"`
		}{rows, bad})
	}
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "no sweeps in %s: start one with reslab sweep --grid arch=resnet18,resnet34 --seeds 2 --folds 5 --name NAME\n", store.Dir)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	if len(rows) > 0 {
		fmt.Fprintln(tw, "name\tarms\tseeds\tfolds\tprogress\tslurm\tcreated")
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.Name, strings.Join(r.Arms, " | "), r.Seeds, r.Folds, r.Counts, dash(r.SlurmID),
			r.Created.Local().Format("2006-01-02 15:04"))
	}
	tw.Flush()
	for _, b := range bad {
		fmt.Fprintf(stdout, "unreadable: %s: %s\n", b.Name, experiments.OneLine(b.Reason))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runSweepShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep show", "sweep show NAME [--each] [--json]", stderr)
	runs := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	asJSON := fs.Bool("json", false, "print JSON")
	each := fs.Bool("each", false, "list every run with its state")
	store, sw, err := parseSweepArgs(fs, runs, args)
	if err != nil {
		return err
	}
	_, err = showSweep(ctx, store, sw, *each, *asJSON, stdout)
	return err
}

// showSweep prints the sweep's progress, the Slurm job's tasks, every
// arm's statistics, the comparisons and the verdict, and returns the
// report it printed.
func showSweep(ctx context.Context, store *experiments.Store, sw *experiments.Sweep, each, asJSON bool, stdout io.Writer) (experiments.SweepReport, error) {
	all, _, err := store.List()
	if err != nil {
		return experiments.SweepReport{}, err
	}
	states := sw.Progress(all)
	rep := sw.Report(states)
	var tasks map[int]slurm.Task
	var slurmLine, slurmNote string
	if n := len(sw.Slurm); n > 0 {
		job := sw.Slurm[n-1]
		var serr error
		tasks, serr = slurm.Default.Tasks(ctx, job.JobID)
		slurmLine = fmt.Sprintf("%s (%s)", slurm.Line(job.JobID, tasks, serr), job.Script)
		if serr != nil {
			slurmNote = slurmLine
		}
	}
	if asJSON {
		type runRow struct {
			Index int               `json:"index"`
			Arm   string            `json:"arm"`
			Seed  int64             `json:"seed"`
			Fold  int               `json:"fold"`
			Run   string            `json:"run,omitempty"`
			State experiments.State `json:"state"`
			Slurm *slurm.Task       `json:"slurm,omitempty"`
		}
		rows := []runRow{}
		for _, st := range states {
			r := runRow{Index: st.Index, Arm: sw.Arms[st.Arm].Label, Seed: st.Seed, Fold: st.Fold, State: st.State}
			if st.Run != nil {
				r.Run = st.Run.ID
			}
			if t, ok := tasks[st.Index]; ok {
				r.Slurm = &t
			}
			rows = append(rows, r)
		}
		return rep, json.NewEncoder(stdout).Encode(struct {
			Sweep  *experiments.Sweep      `json:"sweep"`
			Runs   []runRow                `json:"runs"`
			Report experiments.SweepReport `json:"report"`
			Slurm  string                  `json:"slurm_note,omitempty"`
		}{sw, rows, rep, slurmNote})
	}
	folds := "the data's validation split"
	if sw.Folds > 0 {
		folds = fmt.Sprintf("%d folds (fold seed %d)", sw.Folds, sw.FoldSeed)
	}
	fmt.Fprintf(stdout, "sweep %s: %d arm(s) × %d seed(s) × %s = %d runs: %s\n", sw.Name, len(sw.Arms), sw.Seeds, folds, len(sw.Runs), rep.Counts)
	if slurmLine != "" {
		fmt.Fprintln(stdout, slurmLine)
	}
	if each {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tarm\tseed\tfold\tstate\tepochs\tlast val acc\trun\tslurm")
		for _, st := range states {
			id, epochs, acc := "-", "-", "-"
			if st.Run != nil {
				id, epochs = st.Run.ID, fmt.Sprintf("%d/%d", len(st.Run.Metrics), st.Run.Meta.Spec.Epochs)
				if n := len(st.Run.Metrics); n > 0 {
					acc = fmt.Sprintf("%.1f%%", 100*st.Run.Metrics[n-1].ValAcc)
				}
			}
			fold := "-"
			if sw.Folds > 0 {
				fold = strconv.Itoa(st.Fold + 1)
			}
			task := "-"
			if t, ok := tasks[st.Index]; ok {
				task = strings.TrimSpace(t.State + " " + t.Reason)
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Index, sw.Arms[st.Arm].Label, st.Seed, fold, st.State, epochs, acc, id, task)
		}
		tw.Flush()
	}
	printReport(stdout, sw, rep)
	return rep, nil
}

// printReport writes the statistics table, the comparisons and the verdict.
func printReport(w io.Writer, sw *experiments.Sweep, rep experiments.SweepReport) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header, rows := sw.SweepTable(rep)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	if len(rep.Comparisons) > 0 {
		fmt.Fprintln(w, "\npaired on the same images (last epochs; McNemar over every image and seed, and the per-fold differences):")
		for _, c := range rep.Comparisons {
			fmt.Fprintf(w, "  %s\n", c.Verdict)
		}
	}
	fmt.Fprintf(w, "\nverdict: %s\n", rep.Verdict)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
