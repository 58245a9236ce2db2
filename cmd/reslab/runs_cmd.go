package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
)

// fileLogger logs to reslab.log in the runs folder, never to the terminal.
func fileLogger(dir string) *slog.Logger {
	f, err := os.OpenFile(filepath.Join(dir, "reslab.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(f, nil))
}

func runRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("runs", "runs [--runs DIR] [--filter 'arch:r50 lr<1e-3 status:completed'] [--json]", stderr)
	runsFlag := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	filterFlag := fs.String("filter", "", "only runs matching `TERMS` (the runs screen's / language: arch:r50 lr<1e-3 name:~flowers acc>80%)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCommandLine(fs, args); err != nil {
		return err
	}
	filter, err := experiments.ParseFilter(*filterFlag)
	if err != nil {
		return usagef("--filter: %w", err)
	}
	store, err := experiments.OpenStore(runsDir(*runsFlag))
	if err != nil {
		return err
	}
	runs, bad, err := store.List()
	if err != nil {
		return err
	}
	runs = slices.DeleteFunc(runs, func(r *experiments.Run) bool { return !filter.Match(r) })
	sums := experiments.Summarize(runs)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Runs []experiments.RunSummary `json:"runs"`
			Bad  []experiments.BadRun     `json:"unreadable"`
		}{nonNil(sums), nonNil(bad)})
	}
	if len(runs) == 0 {
		fmt.Fprintf(stdout, "no runs in %s yet: reslab train starts one\n", store.Dir)
	} else {
		rows := [][]string{{"run", "name", "data", "arch", "width", "size", "mode", "status", "epochs", "best acc", "best loss", "time"}}
		for i, s := range sums {
			rows = append(rows, []string{s.ID, s.Name, runs[i].Meta.Spec.DataName(), s.Arch, fmt.Sprint(s.Width), fmt.Sprint(s.Size), string(s.Mode), string(s.Status),
				fmt.Sprint(s.Epochs), fmt.Sprintf("%.1f%%", 100*s.BestValAcc), fmt.Sprintf("%.4f", s.BestValLoss),
				(time.Duration(runs[i].Status.Seconds) * time.Second).String()})
		}
		experiments.WriteTable(stdout, rows)
	}
	for _, b := range bad {
		fmt.Fprintf(stderr, "reslab runs: skipped %s: %s\n", filepath.Join(store.Dir, b.Name), b.Reason)
	}
	for _, r := range runs {
		for _, d := range r.Damage {
			fmt.Fprintf(stderr, "reslab runs: %s: %s\n", r.Dir, d)
		}
	}
	return nil
}

func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("show", "show [--runs DIR] [--json] RUN", stderr)
	runsFlag := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("name one run: reslab show RUN")
	}
	store, err := experiments.OpenStore(runsDir(*runsFlag))
	if err != nil {
		return err
	}
	run, err := store.Load(pos[0])
	if err != nil {
		return err
	}
	preds, predErr := run.Predictions()
	conf := experiments.ConfusionMatrix(preds, len(run.Meta.Classes))
	if *asJSON {
		out := struct {
			ID        string                     `json:"id"`
			Meta      experiments.RunMeta        `json:"meta"`
			Status    experiments.RunStatus      `json:"status"`
			Metrics   any                        `json:"metrics"`
			Confusion [][]int                    `json:"confusion,omitempty"`
			PerClass  []float64                  `json:"per_class_accuracy,omitempty"`
			Confused  []experiments.ConfusedPair `json:"most_confused,omitempty"`
			Summary   experiments.RunSummary     `json:"summary"`
		}{ID: run.ID, Meta: run.Meta, Status: run.Status, Metrics: run.Metrics, Summary: experiments.Summarize([]*experiments.Run{run})[0]}
		if predErr == nil {
			out.Confusion, out.PerClass, out.Confused = conf.Counts, conf.PerClassAccuracy(), conf.MostConfused(5)
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	s := run.Meta.Spec
	data := s.DataLabel()
	fmt.Fprintf(stdout, "run %s  (%s)\n", run.ID, run.Status.State)
	if s.Name != "" {
		fmt.Fprintf(stdout, "  name %s\n", s.Name)
	}
	fmt.Fprintf(stdout, "  %s width %d, %d px, head %s (%s pooling, dropout %g), mode %s, %.2fM parameters\n",
		s.Arch, s.Width, s.Size, s.Head, s.Pooling, s.Dropout, s.Mode, float64(run.Meta.Params)/1e6)
	fmt.Fprintf(stdout, "  data %s: %d classes, %d train / %d validation images\n", data, len(run.Meta.Classes), run.Meta.TrainImages, run.Meta.ValidImages)
	if run.Meta.Arithmetic != "" {
		fmt.Fprintf(stdout, "  computed with %s\n", run.Meta.Arithmetic)
	}
	if run.Meta.JPEGDecoder != "" {
		fmt.Fprintf(stdout, "  JPEGs decoded with %s\n", experiments.JPEGDecodersLabel(run.Meta.JPEGDecoder))
	}
	opt, _ := s.OptimizerConfig()
	sched, _ := s.LRSchedule()
	fmt.Fprintf(stdout, "  %s lr %g (%s schedule, %g warm-up epochs), batch %d, %d epochs, monitor %s, patience %d, seed %d\n",
		opt.Kind, s.LR, sched.Kind, s.WarmupEpochs, s.Batch, s.Epochs, s.Monitor, s.Patience, s.Seed)
	if extras := experiments.RecipeExtras(s); len(extras) > 0 {
		fmt.Fprintf(stdout, "  also %s\n", strings.Join(extras, ", "))
	}
	if best, ok := epochMetrics(run, run.Status.BestEpoch); ok {
		// The checkpointed epoch's own values; the lowest loss, when another
		// epoch had it, is said apart rather than beside them.
		fmt.Fprintf(stdout, "  best epoch %d (by %s): val_acc %s on %d validation images (95%% Wilson interval), val_loss %.4f\n",
			best.Epoch, s.Monitor, experiments.FormatInterval(best.ValAcc, run.Meta.ValidImages), run.Meta.ValidImages, best.ValLoss)
		if low := train.Replay(run.Metrics, "val_loss", 0); low.BestEpoch != best.Epoch {
			fmt.Fprintf(stdout, "  lowest val_loss %.4f at epoch %d\n", low.Best, low.BestEpoch)
		}
	}
	if run.Status.Error != "" {
		fmt.Fprintf(stdout, "  error: %s\n", run.Status.Error)
	}
	for _, d := range run.Damage {
		fmt.Fprintf(stdout, "  damaged: %s\n", d)
	}
	if run.Status.SkippedNote != "" {
		fmt.Fprintf(stdout, "  %s\n", run.Status.SkippedNote)
	}
	fmt.Fprintln(stdout)
	experiments.WriteTable(stdout, experiments.EpochRows(run))
	if predErr == nil {
		fmt.Fprintf(stdout, "\nconfusion matrix and per-class accuracy at the best epoch (%d):\n", run.Status.BestEpoch)
		experiments.WriteTable(stdout, experiments.ConfusionRows(conf, run.Meta.ClassNames))
		name := func(c int) string {
			return experiments.NewClassProb(c, 0, run.Meta.Classes, run.Meta.ClassNames).Label()
		}
		if pairs := conf.MostConfused(5); len(pairs) > 0 {
			fmt.Fprintln(stdout, "\nmost confused (true → predicted):")
			for _, p := range pairs {
				fmt.Fprintf(stdout, "  %s → %s: %d images\n", name(p.True), name(p.Pred), p.Count)
			}
		}
		if worst := experiments.WorstPredictions(preds, 5); len(worst) > 0 {
			fmt.Fprintln(stdout, "\nworst predicted (wrong, most confident first):")
			for _, p := range worst {
				fmt.Fprintf(stdout, "  %s: %s, predicted %s (%.0f%%)\n", p.Path, name(p.Label), name(p.Top[0]), 100*p.Probs[0])
			}
		}
	}
	return nil
}

func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", "compare [--runs DIR] [--metric val_acc] [--save NAME] [--json] RUN...", stderr)
	runsFlag := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	metric := fs.String("metric", "val_acc", "metric to chart: val_loss, val_acc, val_top5, train_loss, train_acc or lr")
	save := fs.String("save", "", "save the comparison as comparisons/`NAME`.json")
	open := fs.String("open", "", "compare the runs of a saved comparison `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	store, err := experiments.OpenStore(runsDir(*runsFlag))
	if err != nil {
		return err
	}
	if *open != "" {
		c, err := store.LoadComparison(*open)
		if err != nil {
			return err
		}
		pos = append(c.Runs, pos...)
		if !flagSet(fs, "metric") {
			*metric = c.Metric
		}
	}
	if len(pos) == 0 {
		return usagef("name the runs: reslab compare RUN RUN...")
	}
	var runs []*experiments.Run
	for _, id := range pos {
		run, err := store.Load(id)
		if err != nil {
			return err
		}
		runs = append(runs, run)
	}
	series, err := experiments.Series(runs, *metric)
	if err != nil {
		return usagef("--metric: %w", err)
	}
	sums := experiments.Summarize(runs)
	specs := make([]experiments.Spec, len(runs))
	for i, run := range runs {
		specs[i] = run.Meta.Spec
	}
	diffs, err := experiments.DifferingSettings(specs)
	if err != nil {
		return err
	}
	if *save != "" {
		ids := make([]string, len(runs))
		for i, run := range runs {
			ids[i] = run.ID
		}
		if err := store.SaveComparison(experiments.Comparison{Name: *save, Runs: ids, Metric: *metric, XAxis: "epoch"}); err != nil {
			return fmt.Errorf("--save: %w", err)
		}
	}
	if *asJSON {
		for i := range series {
			series[i] = nonNil(series[i])
		}
		return json.NewEncoder(stdout).Encode(struct {
			Metric string                    `json:"metric"`
			Series [][]float64               `json:"series"`
			Runs   []experiments.RunSummary  `json:"runs"`
			Differ []experiments.SettingDiff `json:"differing_settings"`
		}{*metric, series, sums, nonNil(diffs)})
	}
	legends := make([]string, len(runs))
	for i, run := range runs {
		legends[i] = fmt.Sprintf("%s (%s)", run.ID, run.Meta.Spec.Arch)
		if n := run.Meta.Spec.Name; n != "" {
			legends[i] = fmt.Sprintf("%s (%s, %s)", n, run.ID, run.Meta.Spec.Arch)
		}
	}
	fmt.Fprintln(stdout, experiments.Chart(series, experiments.EpochAxis(experiments.ChartOptions{Height: 12, Width: 60, Caption: *metric + " by epoch", Legends: legends}, series)))
	fmt.Fprintln(stdout)
	experiments.WriteTable(stdout, experiments.SummaryRows(sums))
	for _, s := range sums {
		if s.Note != "" {
			fmt.Fprintf(stdout, "%s: %s\n", s.ID, s.Note)
		}
	}
	if len(diffs) > 0 {
		// The other settings that differ, each run's value in the
		// table's order.
		rows := [][]string{{"other settings that differ"}}
		for _, run := range runs {
			rows[0] = append(rows[0], experiments.ShortID(run.ID))
		}
		for _, d := range diffs {
			rows = append(rows, append([]string{d.Setting}, d.Values...))
		}
		fmt.Fprintln(stdout)
		experiments.WriteTable(stdout, rows)
	}
	if *save != "" {
		fmt.Fprintf(stdout, "\nsaved as %s\n", filepath.Join(store.Dir, "comparisons", *save+".json"))
	}
	return nil
}

// nonNil makes an empty list print as [] in JSON, never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "export [--runs DIR] (--csv FILE | --md FILE) RUN...", stderr)
	runsFlag := fs.String("runs", "", "runs `folder` (default $RESLAB_RUNS, else ./runs)")
	csvPath := fs.String("csv", "", "write every epoch of the runs as CSV to `file` (- for stdout)")
	mdPath := fs.String("md", "", "write a Markdown report with charts and tables to `file` (- for stdout)")
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if (*csvPath == "") == (*mdPath == "") || len(pos) == 0 {
		return usagef("give one of --csv FILE or --md FILE, and the runs: reslab export --md report.md RUN...")
	}
	store, err := experiments.OpenStore(runsDir(*runsFlag))
	if err != nil {
		return err
	}
	var runs []*experiments.Run
	for _, id := range pos {
		run, err := store.Load(id)
		if err != nil {
			return err
		}
		runs = append(runs, run)
	}
	target := *csvPath + *mdPath
	write := func(w io.Writer) error {
		if *csvPath != "" {
			return experiments.WriteMetricsCSV(w, runs)
		}
		return experiments.WriteMarkdownReport(w, runs)
	}
	if target == "-" {
		err = write(stdout)
	} else {
		err = writeFileAtomic(target, write)
	}
	if err != nil {
		return err
	}
	return nil
}

// epochMetrics is the metrics line of the given epoch (1-based).
func epochMetrics(run *experiments.Run, epoch int) (train.EpochMetrics, bool) {
	for _, m := range run.Metrics {
		if m.Epoch == epoch {
			return m, true
		}
	}
	return train.EpochMetrics{}, false
}
