package experiments

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/internal/setting"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

// Spec is everything that defines a run: model, data, augmentation and
// training settings, and the seed. It is saved as spec.json in the run
// folder; two runs with equal specs on the same data train identically
// at the same thread count (GOMAXPROCS: the kernels split their sums by
// threads, so another count rounds differently).
type Spec struct {
	Name string `json:"name,omitempty"` // free label; the run id is separate

	// Data is the image folder; "" means the built-in demo data set. A run
	// stores it absolute, so resume and predict work from any folder.
	Data string `json:"data"`
	// DataAsGiven is Data as the user typed it (relative, say), for display.
	DataAsGiven   string  `json:"data_as_given,omitempty"`
	ValidFraction float64 `json:"valid_fraction,omitempty"` // held out when Data has no valid/ folder
	// Folds, when set, cross-validates: train and valid are pooled and
	// dealt into Folds stratified folds fixed by FoldSeed alone; the run
	// validates on fold Fold (0-based) and trains on the others. A sweep
	// gives every arm the same FoldSeed, so all validate on the same images.
	Folds    int   `json:"folds,omitempty"`
	Fold     int   `json:"fold,omitempty"`
	FoldSeed int64 `json:"fold_seed,omitempty"`

	Arch    resnet.Arch    `json:"arch"`  // resnet18, resnet34, resnet50, resnet101
	Width   int            `json:"width"` // 64 is torchvision's
	Size    int            `json:"size"`  // input side in pixels
	Pooling resnet.Pooling `json:"pooling"`
	Head    resnet.Head    `json:"head"` // hidden sizes "512,64", or "linear"
	Dropout float64        `json:"dropout"`
	Mode    resnet.Mode    `json:"mode"`
	// Weights initialises the network from a safetensors checkpoint: the
	// backbone always, the head too when its tensors fit.
	Weights string `json:"weights,omitempty"`

	Epochs      int     `json:"epochs"`
	Batch       int     `json:"batch"`
	LR          float64 `json:"lr"`
	WeightDecay float64 `json:"weight_decay,omitempty"`
	MicroBatch  int     `json:"micro_batch,omitempty"` // 0: chosen from the memory budget

	// Optimizer is adam, adamw or sgd; "" (runs saved before it existed)
	// is Adam, decoupled (AdamW) when WeightDecay is set.
	Optimizer       string  `json:"optimizer,omitempty"`
	Momentum        float64 `json:"momentum,omitempty"` // sgd
	Nesterov        bool    `json:"nesterov,omitempty"` // sgd
	NoDecayNormBias bool    `json:"no_decay_norm_bias,omitempty"`
	ClipNorm        float64 `json:"clip_norm,omitempty"` // global gradient norm; 0: no clipping
	LabelSmoothing  float64 `json:"label_smoothing,omitempty"`
	// Schedule is constant, step, cosine or linear ("": constant), after
	// WarmupEpochs of linear warm-up; step decays by StepGamma every
	// StepEvery epochs.
	Schedule     string  `json:"schedule,omitempty"`
	WarmupEpochs float64 `json:"warmup_epochs,omitempty"`
	StepEvery    int     `json:"step_every,omitempty"`
	StepGamma    float64 `json:"step_gamma,omitempty"`
	// BudgetSeconds, when set, plans the epochs so that training ends
	// within it (Epochs is then the most it may plan); the schedule decays
	// to zero at the planned end.
	BudgetSeconds float64 `json:"budget_seconds,omitempty"`
	// TTA is validation's and prediction's test-time augmentation: "",
	// "flip" (the mean of an image's and its mirror's probabilities),
	// "crops" (the image and its five crops) or "crops-flip" (all of them
	// and their mirrors); see resnet.TTA.
	TTA string `json:"tta,omitempty"`
	// EMADecay, when set (such as 0.999), keeps an exponential moving
	// average of the weights that validation, the best checkpoint and
	// prediction use.
	EMADecay float64 `json:"ema_decay,omitempty"`
	// EvalSize, when set, validates and predicts at this input size instead
	// of Size (FixRes: random-resized crops make objects look larger in
	// training than at the same size in evaluation); average pooling only.
	EvalSize int `json:"eval_size,omitempty"`
	// RecalibrateBN, when set, recomputes BatchNorm's statistics before
	// every validation from this many batches of unaugmented training
	// images at the evaluation size (FixRes's recalibration; with EvalSize
	// unset, "precise BN" at the training size). The best checkpoint, and
	// so prediction, carries the recalibrated statistics.
	RecalibrateBN int `json:"recalibrate_bn,omitempty"`
	// HeadOnlyEpochs train only the head (a frozen backbone, BatchNorm in
	// eval mode) before a finetune unfreezes the backbone; BackboneLRMult
	// scales the backbone's learning rate against the head's.
	HeadOnlyEpochs int     `json:"head_only_epochs,omitempty"`
	BackboneLRMult float64 `json:"backbone_lr_mult,omitempty"`

	Augment augment.Params        `json:"augment"`
	Norm    augment.Normalization `json:"norm"` // imagenet, caffe, caffe-bgr, none

	// Monitor is the metric the best checkpoint (and early stopping and
	// the plateau schedule) watch: val_loss or val_acc.
	Monitor       string  `json:"monitor"`
	Patience      int     `json:"patience"`                 // early stopping; 0 disables it
	MinDelta      float64 `json:"min_delta,omitempty"`      // early stopping
	PlateauFactor float64 `json:"plateau_factor,omitempty"` // 0 disables ReduceLROnPlateau
	PlateauWait   int     `json:"plateau_patience,omitempty"`

	Seed int64 `json:"seed"`
}

// ErrSpec marks an invalid spec.
var ErrSpec = errors.New("invalid run settings")

// Validate checks every field and reports all problems, each saying what
// is allowed and naming its setting by its JSON key (setting.Name: "arch",
// "size", "lr", "rotation", …), which is how the setup form places each
// message beside its field.
func (s Spec) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, setting.Errorf(name, ErrSpec, format, args...))
	}
	// NaN passes every range comparison below; name it first.
	for _, f := range []struct {
		name string
		v    float64
	}{{"dropout", s.Dropout}, {"lr", s.LR}, {"weight_decay", s.WeightDecay}, {"plateau_factor", s.PlateauFactor},
		{"momentum", s.Momentum}, {"clip_norm", s.ClipNorm}, {"label_smoothing", s.LabelSmoothing},
		{"warmup_epochs", s.WarmupEpochs}, {"step_gamma", s.StepGamma}, {"budget_seconds", s.BudgetSeconds}, {"ema_decay", s.EMADecay},
		{"backbone_lr_mult", s.BackboneLRMult},
		{"valid_fraction", s.ValidFraction}, {"min_delta", s.MinDelta}, {"rotation", s.Augment.Rotation},
		{"shear", s.Augment.Shear}, {"zoom", s.Augment.Zoom}, {"flip", s.Augment.Flip},
		{"brightness", s.Augment.Brightness}, {"contrast", s.Augment.Contrast}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			bad(f.name, "%s %v: want a finite number", strings.ReplaceAll(f.name, "_", " "), f.v)
		}
	}
	if !s.Arch.Valid() {
		bad("arch", "architecture %q: want resnet18, resnet34, resnet50 or resnet101", s.Arch.String())
	} else if err := s.ModelConfig(10).Validate(); err != nil {
		for _, e := range setting.Leaves(err) {
			errs = append(errs, setting.Rename(e, specNames))
		}
	}
	if s.Epochs < 1 || s.Epochs > 10000 {
		bad("epochs", "epochs %d: want 1 to 10000", s.Epochs)
	}
	if s.Batch < 1 || s.Batch > 4096 {
		bad("batch", "batch %d: want 1 to 4096", s.Batch)
	}
	if !(s.LR > 0 && s.LR < 10) {
		bad("lr", "learning rate %v: want a value above 0 and below 10, such as 1e-3", s.LR)
	}
	if s.WeightDecay < 0 || s.WeightDecay >= 1 {
		bad("weight_decay", "weight decay %v: want 0 <= weight decay < 1", s.WeightDecay)
	}
	if _, err := s.OptimizerConfig(); err != nil {
		bad("optimizer", "%v", err)
	}
	if s.Momentum < 0 || s.Momentum >= 1 {
		bad("momentum", "momentum %v: want 0 <= momentum < 1, such as 0.9", s.Momentum)
	}
	if s.Nesterov && (s.Momentum == 0 || s.Optimizer != string(resnet.OptSGD)) {
		bad("nesterov", "Nesterov momentum needs --optimizer sgd and a --momentum above 0")
	}
	if s.BudgetSeconds < 0 || s.BudgetSeconds > 30*86400 {
		bad("budget_seconds", "time budget %v s: want 0 (none) up to 30 days", s.BudgetSeconds)
	}
	if s.EvalSize != 0 && (s.EvalSize < 32 || s.EvalSize > 1024 || s.Pooling != resnet.PoolAvg) {
		bad("eval_size", "evaluation size %d: want 0 (the training size) or 32 to 1024 pixels, with avg pooling (a flatten head is fixed to the training size)", s.EvalSize)
	}
	if s.RecalibrateBN < 0 || s.RecalibrateBN > 10000 || (s.RecalibrateBN > 0 && s.Mode == resnet.ModeFrozen) {
		bad("recalibrate_bn", "BatchNorm recalibration over %d batches: want 0 (off) up to 10000, in a scratch or finetune run (a frozen backbone keeps its statistics)", s.RecalibrateBN)
	}
	if s.HeadOnlyEpochs < 0 || (s.HeadOnlyEpochs > 0 && s.Mode == resnet.ModeFrozen) {
		bad("head_only_epochs", "head-only epochs %d: want 0, or some epochs of a finetune or scratch run (a frozen run is head-only throughout)", s.HeadOnlyEpochs)
	}
	if s.BackboneLRMult < 0 || s.BackboneLRMult > 10 {
		bad("backbone_lr_mult", "backbone learning-rate multiplier %v: want 0 (same as the head) up to 10, such as 0.1", s.BackboneLRMult)
	}
	if s.EMADecay < 0 || s.EMADecay >= 1 {
		bad("ema_decay", "weight-average decay %v: want 0 (off) or a value below 1 such as 0.999", s.EMADecay)
	}
	if _, err := resnet.ParseTTA(s.TTA); err != nil {
		bad("tta", "%v", err)
	}
	if s.ClipNorm < 0 {
		bad("clip_norm", "gradient clipping norm %v: want 0 (off) or more", s.ClipNorm)
	}
	if s.LabelSmoothing < 0 || s.LabelSmoothing >= 1 {
		bad("label_smoothing", "label smoothing %v: want 0 <= ε < 1, such as 0.1", s.LabelSmoothing)
	}
	if sc, err := s.LRSchedule(); err != nil {
		bad("schedule", "%v", err)
	} else if err := sc.Validate(); err != nil {
		name := "schedule"
		switch {
		case sc.WarmupEpochs < 0:
			name = "warmup_epochs"
		case sc.Kind == train.ScheduleStep && sc.Every < 1:
			name = "step_every"
		case s.StepGamma != 0:
			name = "step_gamma"
		}
		bad(name, "%v", err)
	}
	if s.MicroBatch < 0 {
		bad("micro_batch", "micro-batch %d: want 0 (automatic) or more", s.MicroBatch)
	}
	if err := s.Augment.Validate(); err != nil {
		errs = append(errs, setting.Leaves(err)...)
	}
	if _, err := s.Norm.MarshalText(); err != nil {
		bad("norm", "normalisation %d: want imagenet, caffe, caffe-bgr or none", int(s.Norm))
	}
	if s.Monitor != "val_loss" && s.Monitor != "val_acc" {
		bad("monitor", "monitor %q: want val_loss or val_acc", s.Monitor)
	}
	if s.Patience < 0 {
		bad("patience", "patience %d: want 0 (no early stopping) or more", s.Patience)
	}
	if s.PlateauFactor < 0 || s.PlateauFactor >= 1 {
		bad("plateau_factor", "plateau factor %v: want 0 (off) or a factor below 1 such as 0.1", s.PlateauFactor)
	}
	switch {
	case s.Folds == 0 && s.Fold != 0:
		bad("fold", "fold %d without folds: set folds (2 to %d) too", s.Fold, augment.MaxFolds)
	case s.Folds != 0 && (s.Folds < 2 || s.Folds > augment.MaxFolds):
		bad("folds", "folds %d: want 2 to %d (or 0: no cross-validation)", s.Folds, augment.MaxFolds)
	case s.Folds != 0 && (s.Fold < 0 || s.Fold >= s.Folds):
		bad("fold", "fold %d of %d: want 0 to %d", s.Fold, s.Folds, s.Folds-1)
	}
	if s.ValidFraction < 0 || s.ValidFraction >= 1 {
		bad("valid_fraction", "valid fraction %v: want 0 (default 0.2) or a fraction below 1", s.ValidFraction)
	}
	if s.Mode == resnet.ModeFinetune && s.Weights == "" {
		bad("weights", "mode finetune needs --weights to start from; use scratch to train from random weights")
	}
	return errors.Join(errs...)
}

// specNames maps resnet.Config's setting names to the Spec's.
var specNames = map[string]string{"depth": "arch", "input_size": "size", "hidden": "head"}

// DataLabel names the data set as the user gave it; "" is the demo set.
func (s Spec) DataLabel() string {
	switch {
	case s.DataAsGiven != "":
		return s.DataAsGiven
	case s.Data == "":
		return "demo data"
	}
	return s.Data
}

// RecipeExtras names the spec's training tools beyond the optimiser and
// its rate, for show and reports ("label smoothing 0.1", "EMA 0.999"…).
func RecipeExtras(s Spec) []string {
	var out []string
	add := func(on bool, format string, args ...any) {
		if on {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	add(s.WeightDecay != 0, "weight decay %g", s.WeightDecay)
	add(s.NoDecayNormBias, "no decay on BatchNorm and biases")
	add(s.Momentum != 0, "momentum %g", s.Momentum)
	add(s.Nesterov, "Nesterov")
	add(s.ClipNorm != 0, "gradient norm clipped at %g", s.ClipNorm)
	add(s.LabelSmoothing != 0, "label smoothing %g", s.LabelSmoothing)
	add(s.Augment.Cropping(), "random-resized crops %g–%g of the area", s.Augment.CropScale[0], s.Augment.CropScale[1])
	add(s.Augment.Saturation != 0, "saturation jitter %g", s.Augment.Saturation)
	add(s.EMADecay != 0, "weight average (EMA) %g", s.EMADecay)
	add(s.TTA != "", "test-time augmentation %s", s.TTA)
	add(s.EvalSize != 0, "evaluated at %d px", s.EvalSize)
	add(s.RecalibrateBN != 0, "BatchNorm recalibrated on %d batches", s.RecalibrateBN)
	add(s.HeadOnlyEpochs != 0, "%d head-only epochs", s.HeadOnlyEpochs)
	add(s.BackboneLRMult != 0, "backbone rate ×%g", s.BackboneLRMult)
	add(s.BudgetSeconds != 0, "time budget %s", Duration(s.BudgetSeconds))
	return out
}

// EvalSizeOrSize is the input size of validation and prediction.
func (s Spec) EvalSizeOrSize() int {
	if s.EvalSize > 0 {
		return s.EvalSize
	}
	return s.Size
}

// OptimizerConfig is the update rule the spec asks for.
func (s Spec) OptimizerConfig() (resnet.OptimizerConfig, error) {
	kind := resnet.OptAdam
	switch {
	case s.Optimizer == "" && s.WeightDecay != 0:
		kind = resnet.OptAdamW // runs saved before the choice existed
	case s.Optimizer != "":
		k, err := resnet.ParseOptimizer(s.Optimizer)
		if err != nil {
			return resnet.OptimizerConfig{}, err
		}
		kind = k
	}
	return resnet.OptimizerConfig{Kind: kind, WeightDecay: s.WeightDecay, NoDecayNormBias: s.NoDecayNormBias,
		Momentum: s.Momentum, Nesterov: s.Nesterov, ClipNorm: s.ClipNorm, BackboneLRMult: s.BackboneLRMult}, nil
}

// LRSchedule is the learning rate's warm-up and decay.
func (s Spec) LRSchedule() (train.Schedule, error) {
	kind, err := train.ParseSchedule(s.Schedule)
	if err != nil {
		return train.Schedule{}, err
	}
	return train.Schedule{Kind: kind, WarmupEpochs: s.WarmupEpochs, Every: s.StepEvery, Gamma: s.StepGamma}, nil
}

// DataName is the data set's short name for tables: its folder's last
// element ("flowers10"), or "demo" for the built-in set.
func (s Spec) DataName() string {
	if s.Data == "" && s.DataAsGiven == "" {
		return "demo"
	}
	return filepath.Base(filepath.Clean(s.DataLabel()))
}

// ModelConfig is the network configuration for a data set with the given
// number of classes.
func (s Spec) ModelConfig(classes int) resnet.Config {
	return resnet.Config{Depth: s.Arch.Depth(), Width: s.Width, InputSize: s.Size, Classes: classes,
		Pooling: s.Pooling, Hidden: append(resnet.Head(nil), s.Head...), Dropout: s.Dropout, Mode: s.Mode}
}

// Preset is a named starting recipe.
type Preset struct {
	Name        string
	Description string
	Spec        Spec
}

// Presets returns the built-in recipes by name.
func Presets() map[string]Preset {
	keras := Spec{
		Arch: 50, Width: 64, Size: 224, Pooling: resnet.PoolFlatten, Head: resnet.Head{512, 64}, Dropout: 0.4,
		Mode: resnet.ModeFrozen, Epochs: 20, Batch: 32, LR: 1e-5,
		Augment: augment.Params{Rotation: 30, Shear: 0.2, Zoom: 0.2, Flip: 0.5}, Norm: augment.NormCaffe,
		Monitor: "val_loss", Patience: 10, Seed: 1,
	}
	quick := Spec{
		Arch: 18, Width: 16, Size: 64, Pooling: resnet.PoolAvg, Dropout: 0,
		Mode: resnet.ModeScratch, Epochs: 8, Batch: 32, LR: 3e-3,
		Augment: augment.Params{Rotation: 10, Zoom: 0.1, Flip: 0.5}, Norm: augment.NormImageNet,
		Monitor: "val_acc", Patience: 0, Seed: 1,
	}
	flowers := Spec{
		Arch: 18, Width: 32, Size: 128, Pooling: resnet.PoolAvg, Dropout: 0.2,
		Mode: resnet.ModeScratch, Epochs: 90, Batch: 32, LR: 3e-3, WeightDecay: 0.05,
		Optimizer: string(resnet.OptAdamW), NoDecayNormBias: true, Schedule: string(train.ScheduleCosine), WarmupEpochs: 3, LabelSmoothing: 0.1,
		Augment: augment.Params{Rotation: 10, Flip: 0.5, Brightness: 0.2, Contrast: 0.2, Saturation: 0.2, CropScale: [2]float64{0.25, 1}},
		Norm:    augment.NormImageNet, Monitor: "val_acc", Seed: 1,
	}
	// Transfer without ImageNet: a backbone trained on flowers92 (92 classes
	// that never include flowers10's ten) within a time budget, then
	// fine-tuned on the target with the head trained alone first.
	pretrain := flowers
	pretrain.Size, pretrain.Batch, pretrain.Epochs, pretrain.BudgetSeconds, pretrain.WarmupEpochs = 96, 64, 10000, 18*60, 1
	pretrain.Augment.CropScale = [2]float64{0.35, 1}
	transfer := flowers
	transfer.Mode, transfer.Epochs, transfer.LR, transfer.WarmupEpochs = resnet.ModeFinetune, 30, 1e-3, 1
	transfer.HeadOnlyEpochs, transfer.BackboneLRMult = 2, 0.3
	transfer.Augment.CropScale = [2]float64{0.35, 1}
	return map[string]Preset{
		"flowers92-pretrain": {"flowers92-pretrain", "a backbone for transfer: flowers-scratch's recipe at 96 px, batch 64, within an 18-minute budget (train it on ../shared/data/flowers92)", pretrain},
		"flowers-transfer":   {"flowers-transfer", "fine-tunes a pretrained backbone (--weights RUN/best.safetensors) at 128 px: 2 head-only epochs, then the backbone at 0.3× the head's rate, AdamW 1e-3, cosine over 30 epochs", transfer},
		"keras-tutorial":     {"keras-tutorial", "the reference Keras recipe: ResNet-50, frozen backbone, flatten head 512,64 (ELU, dropout 0.4), Adam 1e-5, batch 32, 224 px, 20 epochs, early stopping on val_loss (patience 10)", keras},
		"quick":              {"quick", "a small ResNet-18 (width 16, 64 px) from scratch that shows learning within minutes on two cores", quick},
		"flowers-scratch":    {"flowers-scratch", "ResNet-18 (width 32, 128 px) from scratch: AdamW 3e-3 (decay 0.05, not on BatchNorm and biases), 3 warm-up epochs then cosine to zero over 90 epochs, label smoothing 0.1, random-resized crops (25-100 %), flip, rotation 10, colour jitter", flowers},
	}
}

// PresetNames lists the presets in a stable order.
func PresetNames() []string {
	var names []string
	for n := range Presets() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PresetSpec returns a preset's spec.
func PresetSpec(name string) (Spec, error) {
	p, ok := Presets()[name]
	if !ok {
		return Spec{}, fmt.Errorf("%w: preset %q: want one of %s", ErrSpec, name, strings.Join(PresetNames(), ", "))
	}
	return p.Spec, nil
}

// DefaultSpec is the spec the lab's form and `reslab train` start from.
func DefaultSpec() Spec {
	s, _ := PresetSpec("quick")
	return s
}
