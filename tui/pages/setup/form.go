package setup

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/internal/setting"
	"github.com/reslab/reslab/resnet"
)

// fieldKind is how a field takes keys.
type fieldKind int

const (
	textField   fieldKind = iota // free text: every printable key types
	numberField                  // digits and number signs type; letters stay keys
	choiceField                  // ←/→ cycle
)

// field is one row of the setup form.
type field struct {
	id      string
	label   string
	hint    string
	kind    fieldKind
	choices []string
	choice  int
	input   textinput.Model
	allowed string // runes a number field takes
	empty   string // what an empty value means
	err     string
}

func (f *field) value() string {
	if f.kind == choiceField {
		return f.choices[f.choice]
	}
	return strings.TrimSpace(f.input.Value())
}

func (f *field) set(v string) {
	if f.kind == choiceField {
		for i, c := range f.choices {
			if c == v {
				f.choice = i
			}
		}
		return
	}
	f.input.SetValue(v)
	f.input.CursorEnd()
}

// Load fills the form from a spec.
func (s *Page) Load(sp experiments.Spec) {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	vals := map[string]string{
		"data": sp.Data, "arch": sp.Arch.String(), "width": strconv.Itoa(sp.Width), "size": strconv.Itoa(sp.Size),
		"head": sp.Head.String(), "pooling": string(sp.Pooling), "dropout": g(sp.Dropout), "mode": string(sp.Mode),
		"weights": sp.Weights, "lr": g(sp.LR), "batch": strconv.Itoa(sp.Batch), "epochs": strconv.Itoa(sp.Epochs),
		"weight_decay": g(sp.WeightDecay), "monitor": sp.Monitor, "patience": strconv.Itoa(sp.Patience),
		"plateau_factor": g(sp.PlateauFactor), "plateau_patience": strconv.Itoa(sp.PlateauWait),
		"rotation": g(sp.Augment.Rotation), "shear": g(sp.Augment.Shear), "zoom": g(sp.Augment.Zoom), "flip": g(sp.Augment.Flip),
		"brightness": g(sp.Augment.Brightness), "contrast": g(sp.Augment.Contrast), "norm": sp.Norm.String(),
		"seed": strconv.FormatInt(sp.Seed, 10), "name": sp.Name,
		"optimizer": string(optimizerOf(sp)), "momentum": g(sp.Momentum), "schedule": scheduleOf(sp),
		"warmup_epochs": g(sp.WarmupEpochs), "label_smoothing": g(sp.LabelSmoothing), "budget": budgetText(sp.BudgetSeconds),
		"ema_decay": g(sp.EMADecay), "tta": ttaOf(sp), "eval_size": strconv.Itoa(sp.EvalSize), "recalibrate_bn": strconv.Itoa(sp.RecalibrateBN), "head_only_epochs": strconv.Itoa(sp.HeadOnlyEpochs),
		"backbone_lr_mult": g(sp.BackboneLRMult), "saturation": g(sp.Augment.Saturation), "crop_scale": pairText(sp.Augment.CropScale),
	}
	s.base = sp
	for id, v := range vals {
		s.byID[id].set(v)
	}
}

// spec reads the form; parse errors are set on their fields.
func (s *Page) spec() experiments.Spec {
	// Settings the form has no field for (Nesterov, clipping, the step
	// schedule's period…) come from the spec last loaded: a preset's or a
	// run's.
	sp := s.base
	sp.DataAsGiven = "" // the data field says where the data is now
	intOf := func(id string, dst *int) {
		f := s.byID[id]
		v, err := strconv.Atoi(f.value())
		if err != nil {
			f.err = "want a whole number"
			return
		}
		*dst = v
	}
	floatOf := func(id string, dst *float64) {
		f := s.byID[id]
		v, err := strconv.ParseFloat(f.value(), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			f.err = "want a number such as 0.5 or 1e-3"
			return
		}
		*dst = v
	}
	// parsed reads a typed setting; a parse error goes on its field.
	parsed := func(id string, parse func(string) error) {
		if err := parse(s.byID[id].value()); err != nil {
			s.byID[id].err = settingMessage(err)
		}
	}
	sp.Data = s.byID["data"].value()
	parsed("arch", func(v string) (err error) { sp.Arch, err = resnet.ParseArch(v); return err })
	intOf("width", &sp.Width)
	intOf("size", &sp.Size)
	parsed("head", func(v string) (err error) { sp.Head, err = resnet.ParseHead(v); return err })
	sp.Pooling = resnet.Pooling(s.byID["pooling"].value())
	floatOf("dropout", &sp.Dropout)
	sp.Mode = resnet.Mode(s.byID["mode"].value())
	sp.Weights = s.byID["weights"].value()
	floatOf("lr", &sp.LR)
	intOf("batch", &sp.Batch)
	intOf("epochs", &sp.Epochs)
	floatOf("weight_decay", &sp.WeightDecay)
	sp.Monitor = s.byID["monitor"].value()
	intOf("patience", &sp.Patience)
	floatOf("plateau_factor", &sp.PlateauFactor)
	intOf("plateau_patience", &sp.PlateauWait)
	floatOf("rotation", &sp.Augment.Rotation)
	floatOf("shear", &sp.Augment.Shear)
	floatOf("zoom", &sp.Augment.Zoom)
	floatOf("flip", &sp.Augment.Flip)
	floatOf("brightness", &sp.Augment.Brightness)
	floatOf("contrast", &sp.Augment.Contrast)
	parsed("norm", func(v string) (err error) { sp.Norm, err = augment.ParseNormalization(v); return err })
	var seed int
	intOf("seed", &seed)
	sp.Seed = int64(seed)
	sp.Name = s.byID["name"].value()
	sp.Optimizer = s.byID["optimizer"].value()
	floatOf("momentum", &sp.Momentum)
	sp.Schedule = s.byID["schedule"].value()
	floatOf("warmup_epochs", &sp.WarmupEpochs)
	floatOf("label_smoothing", &sp.LabelSmoothing)
	floatOf("ema_decay", &sp.EMADecay)
	sp.TTA = s.byID["tta"].value()
	if sp.TTA == "none" {
		sp.TTA = ""
	}
	intOf("eval_size", &sp.EvalSize)
	intOf("recalibrate_bn", &sp.RecalibrateBN)
	intOf("head_only_epochs", &sp.HeadOnlyEpochs)
	floatOf("backbone_lr_mult", &sp.BackboneLRMult)
	floatOf("saturation", &sp.Augment.Saturation)
	sp.Augment.CropScale = [2]float64{}
	if v := strings.TrimSpace(s.byID["crop_scale"].value()); v != "" && v != "off" {
		lo, hi, ok := strings.Cut(v, ",")
		a, errA := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		b, errB := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if !ok || errA != nil || errB != nil {
			s.byID["crop_scale"].err = "want two numbers LO,HI such as 0.08,1"
		} else {
			sp.Augment.CropScale = [2]float64{a, b}
		}
	}
	sp.BudgetSeconds = 0
	if v := strings.TrimSpace(s.byID["budget"].value()); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			s.byID["budget"].err = "want a duration such as 20m or 1h30m"
		} else {
			sp.BudgetSeconds = d.Seconds()
		}
	}
	return sp
}

// ttaOf is the spec's test-time augmentation as the form's choice.
func ttaOf(sp experiments.Spec) string {
	if sp.TTA == "" {
		return "none"
	}
	return sp.TTA
}

// pairText writes a crop range for the form ("" for off).
func pairText(p [2]float64) string {
	if p == [2]float64{} {
		return ""
	}
	return strconv.FormatFloat(p[0], 'g', -1, 64) + "," + strconv.FormatFloat(p[1], 'g', -1, 64)
}

// budgetText writes a time budget for the form ("" for none).
func budgetText(sec float64) string {
	if sec <= 0 {
		return ""
	}
	return (time.Duration(sec) * time.Second).String()
}

// optimizerOf is the update rule a spec trains with, for the form's choice.
func optimizerOf(sp experiments.Spec) resnet.OptimizerKind {
	cfg, err := sp.OptimizerConfig()
	if err != nil {
		return resnet.OptAdam
	}
	return cfg.Kind
}

// scheduleOf is the spec's schedule for the form's choice.
func scheduleOf(sp experiments.Spec) string {
	if sp.Schedule == "" {
		return "constant"
	}
	return sp.Schedule
}

// sweepDepths parses the sweep field; nil means one run.
func (s *Page) sweepDepths() ([]resnet.Arch, error) {
	v := s.byID["sweep"].value()
	if v == "" {
		return nil, nil
	}
	var out []resnet.Arch
	seen := map[resnet.Arch]bool{}
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		d, err := resnet.ParseArch(part)
		if err != nil {
			return nil, fmt.Errorf("depth %q: want 18, 34, 50 or 101, comma-separated", part)
		}
		if !seen[d] {
			out = append(out, d)
			seen[d] = true
		}
	}
	return out, nil
}

// sweepPlan reads the depth sweep, seeds and folds fields.
func (s *Page) sweepPlan() (sweepPlan, error) {
	var p sweepPlan
	var err error
	if p.depths, err = s.sweepDepths(); err != nil {
		return p, err
	}
	p.seeds, p.folds = 1, 0
	if v := s.byID["seeds"].value(); v != "" {
		if p.seeds, err = strconv.Atoi(v); err != nil || p.seeds < 1 || p.seeds > 100 {
			return p, setting.Errorf("seeds", experiments.ErrSweep, "seeds %s: want 1 to 100", v)
		}
	}
	if v := s.byID["folds"].value(); v != "" {
		if p.folds, err = strconv.Atoi(v); err != nil || p.folds == 1 || p.folds < 0 || p.folds > augment.MaxFolds {
			return p, setting.Errorf("folds", experiments.ErrSweep, "folds %s: want 2 to %d, or 0 for the data's validation split", v, augment.MaxFolds)
		}
	}
	return p, nil
}

// settingMessage is a validation error as the form shows it: without the
// kind prefixes ("invalid run settings: "), which the field's place says.
func settingMessage(err error) string {
	msg := err.Error()
	for _, kind := range []error{experiments.ErrSpec, experiments.ErrSweep, resnet.ErrConfig, augment.ErrBadParams} {
		msg = strings.TrimPrefix(msg, kind.Error()+": ")
	}
	return msg
}

// Validate checks the whole form and puts each problem beside its field.
func (s *Page) Validate() {
	for _, f := range s.fields {
		f.err = ""
	}
	s.other = nil
	sp := s.spec()
	for _, e := range setting.Leaves(sp.Validate()) {
		msg := settingMessage(e)
		// The form's field ids are the spec's setting names.
		if f := s.byID[setting.Name(e)]; f != nil {
			if f.err == "" {
				f.err = msg
			}
		} else {
			s.other = append(s.other, msg)
		}
	}
	if _, err := s.sweepPlan(); err != nil {
		id := setting.Name(err)
		if s.byID[id] == nil {
			id = "sweep"
		}
		s.byID[id].err = settingMessage(err)
	}
	if d := s.data; d.checked && d.path == sp.Data && d.err != nil && s.byID["data"].err == "" {
		s.byID["data"].err = experiments.OneLine(d.err.Error())
	}
	s.est = s.estimate(sp)
}

func (s *Page) valid() bool {
	for _, f := range s.fields {
		if f.err != "" {
			return false
		}
	}
	return len(s.other) == 0
}

func (s *Page) focused() *field { return s.fields[s.focus] }

func (s *Page) move(d int) {
	s.focusOn((s.focus + d + len(s.fields)) % len(s.fields))
}

// focusOn focuses field i, clamped to the form.
func (s *Page) focusOn(i int) {
	if f := s.focused(); f.kind != choiceField {
		f.input.Blur()
	}
	s.focus = min(max(i, 0), len(s.fields)-1)
	if f := s.focused(); f.kind != choiceField {
		f.input.Focus()
		f.input.CursorEnd()
	}
}
