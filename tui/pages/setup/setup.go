package setup

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// dataInfo is what the form knows about the chosen data set.
type dataInfo struct {
	path         string
	classes      int
	train, valid int
	err          error
	checked      bool
	checking     bool
	classNames   []string
}

// dataTickMsg fires after typing in the data field pauses.
type dataTickMsg struct{ seq int }

// dataInfoMsg is the data folder opened in the background.
type dataInfoMsg struct {
	seq  int
	info dataInfo
}

// Page is the form that makes a Spec: every setting of a run,
// validated as it is typed, with the memory and time it will take, and
// a depth sweep that queues the same settings at several depths.
type Page struct {
	c             *common.Common
	keys          KeyMap
	width, height int
	fields        []*field
	focus         int
	byID          map[string]*field
	// base is the spec last loaded (a preset or a run): settings without a
	// field keep its values.
	base experiments.Spec
	// The learning-rate range test: running, or its curve shown until esc.
	lrFinding bool
	lrFound   *train.LRFindResult
	other     []string // problems Validate reports that no field owns
	data      dataInfo
	seq       int
	runs      []*experiments.Run
	budget    int64
	est       estimate
}

const (
	intRunes   = "0123456789"
	floatRunes = "0123456789.eE-+"
)

func New(c *common.Common) *Page {
	s := &Page{c: c, keys: DefaultKeyMap(c.Keys), byID: map[string]*field{}}
	s.budget = c.MemoryBudget
	if s.budget <= 0 {
		s.budget = resnet.DefaultMemoryBudget()
	}
	add := func(f *field) {
		if f.kind != choiceField {
			f.input = components.NewInput(c.Styles)
			f.input.Placeholder = f.empty
		}
		s.fields = append(s.fields, f)
		s.byID[f.id] = f
	}
	var archs []string
	for _, d := range resnet.Depths {
		archs = append(archs, fmt.Sprintf("resnet%d", d))
	}
	add(&field{id: "data", label: "data folder", hint: "a folder of class folders (train/ and valid/, or split 80/20); empty: the built-in demo set", kind: textField, empty: "(demo set)"})
	add(&field{id: "preset", label: "preset", hint: "a starting recipe; changes every setting below", kind: choiceField, choices: experiments.PresetNames()})
	add(&field{id: "arch", label: "depth", hint: "ResNet depth", kind: choiceField, choices: archs})
	add(&field{id: "width", label: "base width", hint: "64 is torchvision's; smaller trains faster", kind: numberField, allowed: intRunes})
	add(&field{id: "size", label: "image size", hint: "input side in pixels (32 to 1024)", kind: numberField, allowed: intRunes})
	add(&field{id: "head", label: "head", hint: "hidden sizes such as 512,64, or linear", kind: textField})
	add(&field{id: "pooling", label: "pooling", hint: "avg (torchvision) or flatten (the Keras recipe)", kind: choiceField, choices: []string{"avg", "flatten"}})
	add(&field{id: "dropout", label: "dropout", hint: "before each head layer, 0 to <1", kind: numberField, allowed: floatRunes})
	add(&field{id: "mode", label: "training mode", hint: "scratch, finetune (needs weights) or frozen backbone", kind: choiceField,
		choices: []string{string(resnet.ModeScratch), string(resnet.ModeFinetune), string(resnet.ModeFrozen)}})
	add(&field{id: "weights", label: "weights file", hint: "safetensors to start from; empty: random initialisation", kind: textField, empty: "(random init)"})
	add(&field{id: "lr", label: "learning rate", hint: "the base rate the schedule shapes, such as 1e-3 (Adam) or 0.1 (SGD)", kind: numberField, allowed: floatRunes})
	add(&field{id: "batch", label: "batch size", hint: "images per step", kind: numberField, allowed: intRunes})
	add(&field{id: "epochs", label: "epochs", hint: "1 to 10000 (with a time budget: the most it may plan)", kind: numberField, allowed: intRunes})
	add(&field{id: "budget", label: "time budget", hint: "such as 20m or 1h30m: the epochs are planned to end within it (empty: none)", kind: textField, empty: "(none)"})
	add(&field{id: "weight_decay", label: "weight decay", hint: "L2 for adam and sgd, decoupled for adamw; 0 for none", kind: numberField, allowed: floatRunes})
	add(&field{id: "optimizer", label: "optimizer", hint: "PyTorch's Adam, AdamW or SGD", kind: choiceField, choices: []string{"adam", "adamw", "sgd"}})
	add(&field{id: "momentum", label: "momentum", hint: "SGD's momentum, such as 0.9 (0: none)", kind: numberField, allowed: floatRunes})
	add(&field{id: "schedule", label: "LR schedule", hint: "after the warm-up: constant, step, or cosine/linear decay to 0 at the end", kind: choiceField,
		choices: []string{"constant", "cosine", "linear", "step"}})
	add(&field{id: "warmup_epochs", label: "warm-up", hint: "epochs of linear learning-rate warm-up (fractions allowed)", kind: numberField, allowed: floatRunes})
	add(&field{id: "label_smoothing", label: "label smooth", hint: "label smoothing ε of the training loss, such as 0.1", kind: numberField, allowed: floatRunes})
	add(&field{id: "ema_decay", label: "EMA decay", hint: "average the weights for validation, the best checkpoint and prediction, such as 0.999 (0: off)", kind: numberField, allowed: floatRunes})
	add(&field{id: "tta", label: "test-time aug", hint: "validation and prediction average each image with its mirror (flip), five crops of 87.5 % (crops), both (crops-flip), or not", kind: choiceField, choices: []string{"none", "flip", "crops", "crops-flip"}})
	add(&field{id: "eval_size", label: "eval size", hint: "validate and predict at this size (FixRes; avg pooling); 0: the training size", kind: numberField, allowed: intRunes})
	add(&field{id: "recalibrate_bn", label: "recal BN", hint: "before each validation, recompute BatchNorm's statistics from this many batches of training images at the eval size; 0: off", kind: numberField, allowed: intRunes})
	add(&field{id: "head_only_epochs", label: "head-only ep", hint: "fine-tuning: epochs that train only the head before the backbone unfreezes", kind: numberField, allowed: intRunes})
	add(&field{id: "backbone_lr_mult", label: "backbone LR ×", hint: "fine-tuning: the backbone's rate as a multiple of the head's, such as 0.1 (0: the same)", kind: numberField, allowed: floatRunes})
	add(&field{id: "monitor", label: "monitor", hint: "metric for the best checkpoint and early stopping", kind: choiceField, choices: []string{"val_loss", "val_acc"}})
	add(&field{id: "patience", label: "patience", hint: "early stopping after this many epochs without gain (0: off)", kind: numberField, allowed: intRunes})
	add(&field{id: "plateau_factor", label: "LR plateau", hint: "multiply the LR by this on a plateau (0: off)", kind: numberField, allowed: floatRunes})
	add(&field{id: "plateau_patience", label: "plateau wait", hint: "epochs without gain before the LR drops", kind: numberField, allowed: intRunes})
	add(&field{id: "rotation", label: "rotation", hint: "augmentation: ± degrees (0 to 180)", kind: numberField, allowed: floatRunes})
	add(&field{id: "shear", label: "shear", hint: "augmentation: ± degrees (0 to 80)", kind: numberField, allowed: floatRunes})
	add(&field{id: "zoom", label: "zoom", hint: "augmentation: range (0 to 0.95)", kind: numberField, allowed: floatRunes})
	add(&field{id: "flip", label: "flip", hint: "augmentation: horizontal flip probability", kind: numberField, allowed: floatRunes})
	add(&field{id: "brightness", label: "brightness", hint: "augmentation: jitter (0 to 1)", kind: numberField, allowed: floatRunes})
	add(&field{id: "contrast", label: "contrast", hint: "augmentation: jitter (0 to 1)", kind: numberField, allowed: floatRunes})
	add(&field{id: "saturation", label: "saturation", hint: "augmentation: colour jitter (0 to 1)", kind: numberField, allowed: floatRunes})
	add(&field{id: "crop_scale", label: "crop scale", hint: "random-resized crop of LO,HI of the area, such as 0.08,1 (empty: off)", kind: textField, empty: "(off)"})
	add(&field{id: "norm", label: "normalisation", hint: "imagenet, caffe (the Keras recipe), caffe-bgr or none", kind: choiceField,
		choices: []string{"imagenet", "caffe", "caffe-bgr", "none"}})
	add(&field{id: "seed", label: "seed", hint: "weights, data order and augmentation", kind: numberField, allowed: intRunes})
	add(&field{id: "name", label: "name", hint: "a label for the run (optional)", kind: textField, empty: "(none)"})
	add(&field{id: "sweep", label: "depth sweep", hint: "depths to queue, such as 18,34,50 (empty: one run)", kind: numberField, allowed: intRunes + ", ", empty: "(one run)"})
	add(&field{id: "seeds", label: "sweep seeds", hint: "seeds per depth: repeated runs tell depths apart (1: one each)", kind: numberField, allowed: intRunes})
	add(&field{id: "folds", label: "sweep folds", hint: "k-fold cross-validation over train and valid pooled: 2 to 20 (0: the data's validation split)", kind: numberField, allowed: intRunes})
	spec := experiments.DefaultSpec()
	spec.Data = c.DataDir
	s.byID["preset"].set("quick")
	s.byID["seeds"].set("1")
	s.byID["folds"].set("0")
	s.Load(spec)
	// The focus starts on the preset, a choice: digits and q are keys
	// there, so the screens and quit work at once.
	s.focus = 1
	s.Validate()
	return s
}

// Init reads the data folder the form starts with.
func (s *Page) Init() tea.Cmd { return s.checkData() }

// checkData opens the data folder in the background (scanning a large
// folder, or drawing the demo set, takes a moment).
func (s *Page) checkData() tea.Cmd {
	s.seq++
	seq := s.seq
	sp := experiments.Spec{Data: s.byID["data"].value()}
	if v, err := strconv.Atoi(s.byID["seed"].value()); err == nil {
		sp.Seed = int64(v)
	}
	s.data.checking = true
	return func() tea.Msg {
		if sp.Data == "" {
			return dataInfoMsg{seq: seq, info: demoInfo()}
		}
		info := dataInfo{path: sp.Data, checked: true}
		ds, err := experiments.OpenData(sp)
		if err != nil {
			info.err = err
		} else {
			info.classes, info.train, info.valid, info.classNames = len(ds.Classes), ds.Train.Len(), ds.Valid.Len(), ds.Names
		}
		return dataInfoMsg{seq: seq, info: info}
	}
}

// demoInfo describes the demo set, drawn once per process: it is the same
// every time, and drawing it takes a moment.
var demoInfo = sync.OnceValue(func() dataInfo {
	info := dataInfo{checked: true}
	ds, err := experiments.OpenData(experiments.Spec{})
	if err != nil {
		info.err = err
		return info
	}
	info.classes, info.train, info.valid, info.classNames = len(ds.Classes), ds.Train.Len(), ds.Valid.Len(), ds.Names
	return info
})

// Refresh revalidates the form and its estimates (the page was opened).
func (s *Page) Refresh() tea.Cmd {
	s.Validate()
	return nil
}

func (s *Page) Captures(msg tea.KeyMsg) bool {
	f := s.focused()
	switch msg.Type {
	case tea.KeyTab, tea.KeyShiftTab, tea.KeyUp, tea.KeyDown, tea.KeyEnter, tea.KeyEsc, tea.KeyCtrlC,
		tea.KeyCtrlHome, tea.KeyCtrlEnd, tea.KeyPgUp, tea.KeyPgDown, tea.KeyCtrlL:
		return false
	}
	switch f.kind {
	case textField:
		return true
	case numberField:
		if msg.Type == tea.KeyRunes || msg.Type == tea.KeySpace {
			for _, r := range msg.Runes {
				if !strings.ContainsRune(f.allowed, r) {
					return false
				}
			}
			return msg.Type == tea.KeyRunes || strings.ContainsRune(f.allowed, ' ')
		}
		return true // editing keys: backspace, ←, →, ctrl+u…
	}
	return false
}

// Back closes the learning-rate curve.
func (s *Page) Back() bool {
	if s.lrFound != nil {
		s.lrFound = nil
		return true
	}
	return false
}

func (s *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.LRFoundMsg:
		return s.lrFoundMsg(msg)
	case common.RunsLoadedMsg:
		if msg.Err == nil {
			s.runs = msg.Runs
			s.Validate()
		}
		return nil
	case dataTickMsg:
		if msg.seq == s.seq {
			return s.checkData()
		}
		return nil
	case dataInfoMsg:
		if msg.seq == s.seq {
			s.data = msg.info
			s.Validate()
		}
		return nil
	case common.StartFromMsg:
		return s.startFrom(msg.Run)
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

// findLR asks the root for a learning-rate range test of the form's
// settings (a throwaway model: nothing is trained for real).
func (s *Page) findLR() tea.Cmd {
	if s.lrFinding {
		return nil
	}
	s.Validate()
	if !s.valid() {
		return common.Flash("fix the marked settings first: the search trains these settings")
	}
	s.lrFinding, s.lrFound = true, nil
	return common.Send(common.LRFindMsg{Spec: s.spec()})
}

// lrFoundMsg shows the range test's curve and puts its suggestion into the
// learning-rate field.
func (s *Page) lrFoundMsg(msg common.LRFoundMsg) tea.Cmd {
	s.lrFinding = false
	if msg.Err != nil {
		return common.FlashError(fmt.Errorf("learning-rate search: %w", msg.Err))
	}
	res := msg.Result
	s.lrFound = &res
	if res.Suggested <= 0 {
		return common.Flash("no learning rate suggested: " + res.Method)
	}
	v := strconv.FormatFloat(res.Suggested, 'g', 2, 64)
	s.byID["lr"].set(v)
	s.Validate()
	return common.Flash(fmt.Sprintf("learning rate set to %s (%s); esc closes the curve", v, res.Method))
}

func (s *Page) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	f := s.focused()
	switch {
	case key.Matches(msg, k.Next), msg.Type == tea.KeyDown, f.kind != textField && msg.String() == "j":
		s.move(1)
		return nil
	case key.Matches(msg, k.Prev), msg.Type == tea.KeyUp, f.kind != textField && msg.String() == "k":
		s.move(-1)
		return nil
	case msg.Type == tea.KeyCtrlHome, f.kind == choiceField && key.Matches(msg, k.Top):
		s.focusOn(0)
		return nil
	case msg.Type == tea.KeyCtrlEnd, f.kind == choiceField && key.Matches(msg, k.Bottom):
		s.focusOn(len(s.fields) - 1)
		return nil
	case key.Matches(msg, k.PageDown):
		s.focusOn(s.focus + 10)
		return nil
	case key.Matches(msg, k.PageUp):
		s.focusOn(s.focus - 10)
		return nil
	case key.Matches(msg, k.Start):
		return s.start()
	case key.Matches(msg, k.FindLR):
		return s.findLR()
	}
	if f.kind == choiceField {
		switch {
		case key.Matches(msg, k.Left):
			f.choice = (f.choice - 1 + len(f.choices)) % len(f.choices)
		case key.Matches(msg, k.Right), msg.Type == tea.KeySpace:
			f.choice = (f.choice + 1) % len(f.choices)
		default:
			return nil
		}
		return s.changed(f)
	}
	if !s.Captures(msg) {
		return nil
	}
	before := f.input.Value()
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	if f.input.Value() != before {
		return tea.Batch(cmd, s.changed(f))
	}
	return cmd
}

// startFrom fills the form to train from a run's best weights: the run's
// network, input size and normalisation (which the weights need), fine-tuning
// by default, and the data folder already in the form, since the point is
// usually other data (a backbone pretrained on flowers92, say, for flowers10).
func (s *Page) startFrom(r *experiments.Run) tea.Cmd {
	sp := r.Meta.Spec
	sp.Data = s.byID["data"].value()
	sp.Weights = r.Path(experiments.BestWeightsFile)
	sp.Mode = resnet.ModeFinetune
	sp.Name = ""
	s.Load(sp)
	for i, f := range s.fields {
		if f.id == "data" {
			s.move(i - s.focus)
		}
	}
	return tea.Batch(s.changed(s.byID["data"]),
		common.Flash(fmt.Sprintf("best weights of %s: choose the data folder and mode", experiments.ShortID(r.ID))))
}

// changed revalidates after a field changed.
func (s *Page) changed(f *field) tea.Cmd {
	switch f.id {
	case "preset":
		sp, err := experiments.PresetSpec(f.value())
		if err == nil {
			sp.Data = s.byID["data"].value()
			sp.Name = s.byID["name"].value()
			s.Load(sp)
		}
	case "data", "seed":
		s.seq++
		seq := s.seq
		s.data.checking = true
		s.Validate()
		return tea.Tick(s.c.DataDebounce, func(time.Time) tea.Msg { return dataTickMsg{seq} })
	}
	s.Validate()
	return nil
}

// start turns the form into one run, or one per depth of the sweep.
func (s *Page) start() tea.Cmd {
	s.Validate()
	if !s.valid() {
		for i, f := range s.fields {
			if f.err != "" {
				s.move(i - s.focus)
				return common.Flash(fmt.Sprintf("fix %s first: %s", f.label, f.err))
			}
		}
		return common.Flash("fix the settings first: " + strings.Join(s.other, "; "))
	}
	if s.data.checking || !s.data.checked {
		return common.Flash("still reading the data folder; press enter again in a moment")
	}
	sp := s.spec()
	plan, _ := s.sweepPlan()
	if !plan.sweep() {
		if len(plan.depths) == 1 {
			sp.Arch = plan.depths[0]
		}
		return func() tea.Msg { return common.StartMsg{Specs: []experiments.Spec{sp}} }
	}
	sw, err := plan.build(sp, time.Now())
	if err != nil {
		return common.FlashError(err)
	}
	return func() tea.Msg { return common.StartMsg{Sweep: sw} }
}

// sweepPlan is the form's sweep: depths × seeds × folds.
type sweepPlan struct {
	depths       []resnet.Arch
	seeds, folds int
}

// sweep says whether the form asks for more than one run.
func (p sweepPlan) sweep() bool { return len(p.depths) > 1 || p.seeds > 1 || p.folds > 0 }

// runs is the number of runs the plan trains.
func (p sweepPlan) runs() int { return max(len(p.depths), 1) * max(p.seeds, 1) * max(p.folds, 1) }

// notSweepName is what a sweep name may not hold: build keeps the form's
// run name's letters, digits, '.', '_' and '-'.
var notSweepName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// build makes the saved sweep: one arm per depth (or the form's depth),
// named after the form's run name.
func (p sweepPlan) build(sp experiments.Spec, now time.Time) (*experiments.Sweep, error) {
	name := strings.Trim(notSweepName.ReplaceAllString(sp.Name, "-"), "-._")
	if name == "" {
		name = "lab-" + now.Format("20060102-150405")
	}
	var axes []experiments.Axis
	var arms []experiments.Arm
	if len(p.depths) > 1 {
		axis := experiments.Axis{Key: "arch"}
		for _, d := range p.depths {
			axis.Values = append(axis.Values, d.String())
		}
		axes = []experiments.Axis{axis}
		for _, d := range p.depths {
			one := sp
			one.Arch = d
			arms = append(arms, experiments.Arm{Label: experiments.ArmLabel(axes, []string{d.String()}), Values: []string{d.String()}, Spec: one})
		}
	} else {
		if len(p.depths) == 1 {
			sp.Arch = p.depths[0]
		}
		arms = []experiments.Arm{{Label: experiments.ArmLabel(nil, nil), Values: []string{}, Spec: sp}}
	}
	return experiments.NewSweep(name, axes, arms, max(p.seeds, 1), p.folds, 1)
}

func (dataTickMsg) Page() common.PageID { return common.PageSetup }
func (dataInfoMsg) Page() common.PageID { return common.PageSetup }
