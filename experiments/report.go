package experiments

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Tables are plain text with aligned columns; Markdown wraps the same rows
// in pipes. One row builder serves the terminal, `reslab export --md` and
// the lab.

// EpochRows is a run's per-epoch table, header first.
func EpochRows(r *Run) [][]string {
	rows := [][]string{{"epoch", "train loss", "train acc", "val loss", "val acc", "val top5", "lr", "s", "img/s"}}
	for _, m := range r.Metrics {
		top5 := "-"
		if m.ValTop5 > 0 {
			top5 = pct(m.ValTop5)
		}
		mark := ""
		if m.Epoch == r.Status.BestEpoch {
			mark = " *"
		}
		rows = append(rows, []string{strconv.Itoa(m.Epoch) + mark, f4(m.TrainLoss), pct(m.TrainAcc), f4(m.ValLoss), pct(m.ValAcc),
			top5, strconv.FormatFloat(m.LR, 'g', 3, 64), fmt.Sprintf("%.1f", m.Seconds), fmt.Sprintf("%.1f", m.ImagesPerSec)})
	}
	return rows
}

// SummaryRows is the comparison table, header first.
func SummaryRows(sums []RunSummary) [][]string {
	rows := [][]string{{"run", "name", "data", "arch", "width", "size", "mode", "params", "status", "epochs", "best acc (95% CI)", "best loss", "best ep", "s/epoch", "p vs first"}}
	for i, s := range sums {
		p := "-"
		switch {
		case i == 0:
			p = "(reference)"
		case s.Versus != nil:
			p = fmt.Sprintf("%.3g (%d/%d)", s.Versus.PValue, s.Versus.OnlyA, s.Versus.OnlyB)
		case s.Note != "":
			p = "n/a"
		}
		data := "demo"
		if s.Data != "demo data" {
			data = filepath.Base(s.Data)
		}
		rows = append(rows, []string{s.ID, s.Name, data, s.Arch, strconv.Itoa(s.Width), strconv.Itoa(s.Size), string(s.Mode),
			fmt.Sprintf("%.2fM", float64(s.Params)/1e6), string(s.Status), strconv.Itoa(s.Epochs), FormatInterval(s.BestValAcc, s.ValidImages),
			f4(s.BestValLoss), strconv.Itoa(s.BestEpoch), fmt.Sprintf("%.1f", s.SecPerEpoch), p})
	}
	return rows
}

// ConfusionRows is a confusion matrix with per-class accuracy, header first.
func ConfusionRows(c Confusion, names []string) [][]string {
	header := []string{"true \\ predicted"}
	for i := range c.Counts {
		header = append(header, strconv.Itoa(i))
	}
	header = append(header, "acc")
	rows := [][]string{header}
	acc := c.PerClassAccuracy()
	for i, row := range c.Counts {
		label := strconv.Itoa(i)
		if i < len(names) && names[i] != label {
			label += " " + names[i]
		}
		r := []string{label}
		for _, v := range row {
			r = append(r, strconv.Itoa(v))
		}
		a := "-"
		if acc[i] >= 0 {
			a = pct(acc[i])
		}
		rows = append(rows, append(r, a))
	}
	return rows
}

// WriteTable writes rows as aligned plain text.
func WriteTable(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// WriteMarkdownTable writes rows as a Markdown table.
func WriteMarkdownTable(w io.Writer, rows [][]string) {
	for i, r := range rows {
		esc := make([]string, len(r))
		for j, c := range r {
			esc[j] = strings.ReplaceAll(c, "|", "\\|")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(esc, " | "))
		if i == 0 {
			fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(r)))
		}
	}
}

// WriteMetricsCSV writes every epoch of every run, one row each.
func WriteMetricsCSV(w io.Writer, runs []*Run) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"run", "arch", "width", "size", "mode", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "val_acc_lo", "val_acc_hi", "val_top5", "lr", "seconds", "images_per_sec"})
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range runs {
		s := r.Meta.Spec
		for _, m := range r.Metrics {
			lo, hi := AccuracyInterval(m.ValAcc, r.Meta.ValidImages)
			cw.Write([]string{r.ID, s.Arch.String(), strconv.Itoa(s.Width), strconv.Itoa(s.Size), string(s.Mode), strconv.Itoa(m.Epoch),
				g(m.TrainLoss), g(m.TrainAcc), g(m.ValLoss), g(m.ValAcc), g(lo), g(hi), g(m.ValTop5), g(m.LR), g(m.Seconds), g(m.ImagesPerSec)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdownReport writes a report ready to paste into an issue: the
// comparison table, the loss and accuracy charts, and each run's epochs.
func WriteMarkdownReport(w io.Writer, runs []*Run) error {
	fmt.Fprintf(w, "# reslab report\n\n")
	WriteMarkdownTable(w, SummaryRows(Summarize(runs)))
	legends := make([]string, len(runs))
	for i, r := range runs {
		legends[i] = r.ID + " (" + r.Meta.Spec.Arch.String() + ")"
	}
	for _, metric := range []string{"val_loss", "val_acc", "train_loss"} {
		series, err := Series(runs, metric)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n## %s\n\n```\n%s\n```\n", metric, Chart(series, EpochAxis(ChartOptions{Height: 10, Width: 60, Caption: metric + " by epoch", Legends: legends}, series)))
	}
	for _, r := range runs {
		fmt.Fprintf(w, "\n## %s\n\n", r.ID)
		WriteMarkdownTable(w, EpochRows(r))
	}
	return nil
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
func f4(v float64) string  { return fmt.Sprintf("%.4f", v) }

// ETA says the time left of a run, the whole run's first (what a reader
// waits for), this epoch's beside it while another epoch follows and this
// one has a second or more to go: "ETA 8m12s (epoch 3s)", "ETA 34s".
func ETA(epochLeft, runLeft float64) string {
	if math.Round(epochLeft) < 1 || math.Round(runLeft-epochLeft) < 1 {
		return "ETA " + Duration(runLeft)
	}
	return fmt.Sprintf("ETA %s (epoch %s)", Duration(runLeft), Duration(epochLeft))
}

// Duration writes seconds as 42s, 3m05s or 1h02m, "-" when unknown: the
// one way the lab and the commands print a time.
func Duration(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) || sec < 0 {
		return "-"
	}
	s := int(math.Round(sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
	}
}
