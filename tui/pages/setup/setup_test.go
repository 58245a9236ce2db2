package setup

import (
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/internal/labtest"
)

// newForm is the setup page on the runs folder dir (fresh when ""), with
// the store read and the data folder checked, as the lab opens it.
func newForm(t *testing.T, dir string) (*Page, *labtest.Harness) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c := labtest.Common(t, dir)
	p := New(c)
	p.SetSize(80, 22)
	h := &labtest.Harness{T: t, Page: p, Store: c.Store}
	labtest.Settle(t, h.Page.Update, common.LoadRunsCmd(c.Store))
	h.Send()
	labtest.Settle(t, p.Update, p.Init())
	return p, h
}

// focusField moves the focus to a field.
func focusField(t *testing.T, p *Page, h *labtest.Harness, id string) {
	t.Helper()
	for i := 0; i < len(p.fields) && p.focused().id != id; i++ {
		h.Press("down")
	}
	if p.focused().id != id {
		t.Fatalf("no field %q", id)
	}
}

func TestSetupValidatesAsYouType(t *testing.T) {
	p, h := newForm(t, "")
	focusField(t, p, h, "epochs")
	h.Press("ctrl+u", "0")
	f := p.byID["epochs"]
	if !strings.Contains(f.err, "want 1 to 10000") {
		t.Fatalf("epochs 0: error %q", f.err)
	}
	if !strings.Contains(p.View(), "✗ epochs 0: want 1 to 10000") {
		t.Errorf("the error is not beside the field:\n%s", p.View())
	}
	// Enter refuses and says why; no run starts.
	h.Press("enter")
	if fm, ok := labtest.Last[common.FlashMsg](h); !ok || !strings.Contains(fm.Text, "fix epochs first") {
		t.Errorf("enter on a bad form flashed %#v", fm)
	}
	if _, started := labtest.Last[common.StartMsg](h); started {
		t.Error("enter on a bad form started a run")
	}
	h.Press("ctrl+u", "12")
	if f.err != "" || !p.valid() {
		t.Errorf("epochs 12 still invalid: %q %v", f.err, p.other)
	}
	// A head that does not parse, and a fine-tune without weights.
	focusField(t, p, h, "head")
	h.Press("ctrl+u", "512,x")
	if e := p.byID["head"].err; !strings.Contains(e, "head") {
		t.Errorf("head 512,x: %q", e)
	}
	h.Press("ctrl+u", "linear")
	focusField(t, p, h, "mode")
	h.Press("right")
	if p.byID["mode"].value() != "finetune" || !strings.Contains(p.byID["weights"].err, "weights") {
		t.Errorf("finetune without weights: mode %q, weights error %q", p.byID["mode"].value(), p.byID["weights"].err)
	}
}

func TestSetupPresetAndSweep(t *testing.T) {
	p, h := newForm(t, "")
	focusField(t, p, h, "preset")
	h.Press("right") // quick → flowers-scratch (sorted, wrapping)
	if w := p.byID["width"].value(); w != "32" {
		t.Errorf("flowers-scratch width = %s, want 32", w)
	}
	h.Press("left")
	focusField(t, p, h, "epochs")
	h.Press("ctrl+u", "2")
	focusField(t, p, h, "sweep")
	h.Press("18,34", "enter")
	msg, ok := labtest.Last[common.StartMsg](h)
	if !ok || msg.Sweep == nil || len(msg.Sweep.Runs) != 2 {
		t.Fatalf("enter with a sweep: %#v", msg)
	}
	runs := msg.Sweep.Runs
	if runs[0].Spec.Arch != 18 || runs[1].Spec.Arch != 34 || runs[1].Spec.Epochs != 2 || len(msg.Sweep.Arms) != 2 || msg.Sweep.Arms[1].Label != "arch=resnet34" {
		t.Errorf("sweep runs: %s %s epochs %d, arms %+v", runs[0].Spec.Arch, runs[1].Spec.Arch, runs[1].Spec.Epochs, msg.Sweep.Arms)
	}
	// Seeds and folds multiply the runs; the enter line says how many.
	focusField(t, p, h, "seeds")
	h.Press("ctrl+u", "2")
	focusField(t, p, h, "folds")
	h.Press("ctrl+u", "3")
	if line := p.enterLine(200); !strings.Contains(line, "sweep r18, r34 × 2 seeds × 3 folds (12 runs)") {
		t.Errorf("enter line %q", line)
	}
	h.Press("enter")
	if msg, _ = labtest.Last[common.StartMsg](h); msg.Sweep == nil || len(msg.Sweep.Runs) != 12 || msg.Sweep.Runs[11].Spec.Folds != 3 {
		t.Errorf("2 depths × 2 seeds × 3 folds: %+v", msg.Sweep)
	}
	h.Press("ctrl+u", "1")
	if e := p.byID["folds"].err; !strings.Contains(e, "folds 1: want 2 to 20") {
		t.Errorf("folds 1: %q", e)
	}
	h.Press("ctrl+u", "0")
	focusField(t, p, h, "sweep")
	h.Press("ctrl+u", "18,77")
	if e := p.byID["sweep"].err; !strings.Contains(e, "77") {
		t.Errorf("sweep 18,77: %q", e)
	}
}

func TestSetupEstimatesFromMeasuredRuns(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	p, h := newForm(t, dir)
	e := p.est
	if e.Params <= 0 || e.PeakBytes <= 0 || !e.Fits {
		t.Fatalf("estimate %+v", e)
	}
	// Not the stored runs' network (width 16, 64 px): scaled.
	if math.IsNaN(e.SecPerEpoch) || !strings.Contains(e.Basis, "scaled from") {
		t.Errorf("estimate from other runs: %v s, %q", e.SecPerEpoch, e.Basis)
	}
	focusField(t, p, h, "width")
	h.Press("ctrl+u", "8")
	focusField(t, p, h, "size")
	h.Press("ctrl+u", "32")
	e = p.est
	if !strings.Contains(e.Basis, "measured 150 img/s") {
		t.Errorf("same network as a stored run: %q", e.Basis)
	}
	// 300 train images at 150 img/s, plus validation.
	if e.SecPerEpoch < 2 || e.SecPerEpoch > 3.5 {
		t.Errorf("seconds per epoch %v", e.SecPerEpoch)
	}
	// A network over the memory budget is flagged.
	h.Press("ctrl+u", "1024")
	focusField(t, p, h, "width")
	h.Press("ctrl+u", "256")
	if p.est.Fits || !strings.Contains(p.View(), "over the") {
		t.Errorf("a huge network fits? %+v", p.est)
	}
}

// TestStartFromRunWeights: the form takes a run's network with its best
// weights, fine-tuning, keeps its data folder and focuses it.
func TestStartFromRunWeights(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	p, h := newForm(t, dir)
	focusField(t, p, h, "arch")
	h.Press("right", "right") // resnet50 in the form, to see it replaced
	run, err := p.c.Store.Load("20261127-100000-r18-aaaa")
	if err != nil {
		t.Fatal(err)
	}
	h.Send(common.StartFromMsg{Run: run})
	want := filepath.Join(dir, "20261127-100000-r18-aaaa", experiments.BestWeightsFile)
	if p.byID["weights"].value() != want || p.byID["mode"].value() != "finetune" ||
		p.byID["arch"].value() != "resnet18" || p.byID["data"].value() != "" || p.focused().id != "data" {
		t.Fatalf("weights %q, mode %q, arch %q, data %q, focus %q",
			p.byID["weights"].value(), p.byID["mode"].value(), p.byID["arch"].value(), p.byID["data"].value(), p.focused().id)
	}
	if !p.valid() {
		t.Errorf("the form is not valid: %v", p.other)
	}
}

// TestFocusedFieldAlwaysShows walks the whole form down and up at 80×24:
// the focused field's row (marked ›) is on screen at every step, never
// hidden under the "more" markers.
func TestFocusedFieldAlwaysShows(t *testing.T) {
	p, h := newForm(t, "")
	for _, key := range []string{"down", "up"} {
		for i := 0; i < len(p.fields); i++ {
			h.Press(key)
			if label := p.focused().label; !strings.Contains(p.View(), "› "+label) {
				t.Fatalf("%s ×%d: the focused %q is not on screen:\n%s", key, i+1, label, p.View())
			}
		}
	}
}

// The form's ends are a key away from any field, text fields included.
func TestSetupFirstAndLastField(t *testing.T) {
	p, h := newForm(t, t.TempDir())
	h.Press("ctrl+end")
	if p.focus != len(p.fields)-1 {
		t.Fatalf("ctrl+end focused field %d of %d", p.focus, len(p.fields))
	}
	h.Press("ctrl+home")
	if p.focus != 0 {
		t.Fatalf("ctrl+home focused field %d", p.focus)
	}
	h.Press("pgdown")
	if p.focus != 10 {
		t.Errorf("pgdn focused field %d, want 10", p.focus)
	}
	for p.focused().kind != choiceField {
		h.Press("down")
	}
	h.Press("G")
	if p.focus != len(p.fields)-1 {
		t.Errorf("G on a choice field focused %d", p.focus)
	}
}

// The form shows the update rule and schedule of the spec it loads, and
// settings it has no field for (Nesterov, clipping) survive into the run.
func TestSetupKeepsSettingsWithoutFields(t *testing.T) {
	p, _ := newForm(t, t.TempDir())
	sp := experiments.DefaultSpec()
	sp.Optimizer, sp.Momentum, sp.Nesterov, sp.ClipNorm = "sgd", 0.9, true, 2
	sp.Schedule, sp.WarmupEpochs, sp.LabelSmoothing = "cosine", 1.5, 0.1
	p.Load(sp)
	p.SetSize(120, 60) // the whole form
	for _, want := range []string{"[sgd]", "[cosine]"} {
		if !strings.Contains(p.View(), want) {
			t.Errorf("the form does not show %s:\n%s", want, p.View())
		}
	}
	got := p.spec()
	if got.Optimizer != "sgd" || got.Momentum != 0.9 || !got.Nesterov || got.ClipNorm != 2 || got.Schedule != "cosine" ||
		got.WarmupEpochs != 1.5 || got.LabelSmoothing != 0.1 {
		t.Errorf("the form's spec lost settings: %+v", got)
	}
}

// A time budget typed into the form reaches the spec, and a bad one is
// marked on its field.
func TestSetupTimeBudget(t *testing.T) {
	p, h := newForm(t, t.TempDir())
	for p.focused().id != "budget" {
		h.Press("down")
	}
	h.Press("2", "0", "m")
	if sp := p.spec(); sp.BudgetSeconds != 1200 {
		t.Errorf("budget 20m read as %v s", sp.BudgetSeconds)
	}
	h.Press("ctrl+u", "s", "o", "o", "n")
	p.spec()
	if f := p.byID["budget"]; !strings.Contains(f.err, "duration") {
		t.Errorf("a bad budget is not marked: %q", f.err)
	}
}

// Every preset read into the form comes back out unchanged: each setting
// of the recipes (EMA, TTA, crops, fine-tuning controls…) has its field or
// is carried over, so a preset started from the form is the preset.
func TestFormRoundTripsEveryPreset(t *testing.T) {
	p, _ := newForm(t, "")
	for _, name := range experiments.PresetNames() {
		sp, err := experiments.PresetSpec(name)
		if err != nil {
			t.Fatal(err)
		}
		p.Load(sp)
		got := p.spec()
		// The form names the defaults a spec may leave empty ("" is Adam,
		// or AdamW with a decay; "" is a constant rate).
		sp.Optimizer, sp.Schedule = string(optimizerOf(sp)), scheduleOf(sp)
		if !reflect.DeepEqual(got, sp) {
			t.Errorf("preset %s through the form:\n got %+v\nwant %+v", name, got, sp)
		}
	}
}

func TestFormRecipeFields(t *testing.T) {
	p, h := newForm(t, "")
	focusField(t, p, h, "ema_decay")
	h.Press("ctrl+u", "0.999")
	focusField(t, p, h, "tta")
	h.Press("right")
	focusField(t, p, h, "crop_scale")
	h.Press("ctrl+u", "0.25,1")
	focusField(t, p, h, "head_only_epochs")
	h.Press("ctrl+u", "2")
	sp := p.spec()
	if sp.EMADecay != 0.999 || sp.TTA != "flip" || sp.Augment.CropScale != [2]float64{0.25, 1} || sp.HeadOnlyEpochs != 2 {
		t.Errorf("spec from the form: ema %v tta %q crop %v head-only %d", sp.EMADecay, sp.TTA, sp.Augment.CropScale, sp.HeadOnlyEpochs)
	}
	focusField(t, p, h, "crop_scale")
	h.Press("ctrl+u", "2,1")
	p.Validate()
	if e := p.byID["crop_scale"].err; !strings.Contains(e, "crop scale 2,1") {
		t.Errorf("crop scale 2,1: %q", e)
	}
	h.Press("ctrl+u", "half")
	p.Validate()
	if e := p.byID["crop_scale"].err; !strings.Contains(e, "LO,HI") {
		t.Errorf("crop scale half: %q", e)
	}
}

// A field's error is never cut on its row: whole where it fits (at 200
// columns the form's column widens for it), else the row points to the
// full text under the form.
func TestFieldErrorsAreWholeOrPointBelow(t *testing.T) {
	p, h := newForm(t, "")
	focusField(t, p, h, "sweep")
	h.Press("1", "8", ",", "3", "4", "2")
	const whole = `✗ depth "342": want 18, 34, 50 or 101, comma-separated`
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		p.SetSize(size[0], size[1])
		var row string
		for _, l := range strings.Split(p.View(), "\n") {
			if strings.Contains(l, "depth sweep") && strings.Contains(l, "18,342") {
				row = l
			}
		}
		if row == "" || strings.Contains(row, "…") {
			t.Errorf("%dx%d: the sweep's row cuts its error: %q\n%s", size[0], size[1], row, p.View())
		}
		if !strings.Contains(row, whole) && !strings.Contains(row, "✗ see below") {
			t.Errorf("%dx%d: the sweep's row %q neither has the error nor points below", size[0], size[1], row)
		}
		if size[0] == 200 && !strings.Contains(row, whole) {
			t.Errorf("200 columns: the row %q lacks the whole error", row)
		}
		if !strings.Contains(p.View(), "✗ depth sweep: "+whole[len("✗ "):]) {
			t.Errorf("%dx%d: the error is not in full under the form:\n%s", size[0], size[1], p.View())
		}
	}
}
