package setup

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/internal/setting"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

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
	other         []string // problems Validate reports that no field owns
	data          dataInfo
	seq           int
	runs          []*experiments.Run
	budget        int64
	est           estimate
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
	add(&field{id: "lr", label: "learning rate", hint: "Adam, such as 1e-3", kind: numberField, allowed: floatRunes})
	add(&field{id: "batch", label: "batch size", hint: "images per step", kind: numberField, allowed: intRunes})
	add(&field{id: "epochs", label: "epochs", hint: "1 to 10000", kind: numberField, allowed: intRunes})
	add(&field{id: "weight_decay", label: "weight decay", hint: "AdamW decoupled decay, 0 for none", kind: numberField, allowed: floatRunes})
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
	add(&field{id: "norm", label: "normalisation", hint: "imagenet, caffe (the Keras recipe), caffe-bgr or none", kind: choiceField,
		choices: []string{"imagenet", "caffe", "caffe-bgr", "none"}})
	add(&field{id: "seed", label: "seed", hint: "weights, data order and augmentation", kind: numberField, allowed: intRunes})
	add(&field{id: "name", label: "name", hint: "a label for the run (optional)", kind: textField, empty: "(none)"})
	add(&field{id: "sweep", label: "depth sweep", hint: "depths to queue, such as 18,34,50 (empty: one run)", kind: numberField, allowed: intRunes + ", ", empty: "(one run)"})
	spec := experiments.DefaultSpec()
	spec.Data = c.DataDir
	s.byID["preset"].set("quick")
	s.Load(spec)
	// The focus starts on the preset, a choice: digits and q are keys
	// there, so the screens and quit work at once.
	s.focus = 1
	s.Validate()
	return s
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
	}
	for id, v := range vals {
		s.byID[id].set(v)
	}
}

// spec reads the form; parse errors are set on their fields.
func (s *Page) spec() experiments.Spec {
	sp := experiments.Spec{}
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
	return sp
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

// settingMessage is a validation error as the form shows it: without the
// kind prefixes ("invalid run settings: "), which the field's place says.
func settingMessage(err error) string {
	msg := err.Error()
	for _, kind := range []error{experiments.ErrSpec, resnet.ErrConfig, augment.ErrBadParams} {
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
	if _, err := s.sweepDepths(); err != nil {
		s.byID["sweep"].err = err.Error()
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

func (s *Page) focused() *field { return s.fields[s.focus] }

func (s *Page) Captures(msg tea.KeyMsg) bool {
	f := s.focused()
	switch msg.Type {
	case tea.KeyTab, tea.KeyShiftTab, tea.KeyUp, tea.KeyDown, tea.KeyEnter, tea.KeyEsc, tea.KeyCtrlC:
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

func (s *Page) Back() bool { return false }

func (s *Page) move(d int) {
	if f := s.focused(); f.kind != choiceField {
		f.input.Blur()
	}
	s.focus = (s.focus + d + len(s.fields)) % len(s.fields)
	if f := s.focused(); f.kind != choiceField {
		f.input.Focus()
		f.input.CursorEnd()
	}
}

func (s *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
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
	case key.Matches(msg, k.Start):
		return s.start()
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
	depths, _ := s.sweepDepths()
	if len(depths) == 0 {
		return func() tea.Msg { return common.StartMsg{Specs: []experiments.Spec{sp}} }
	}
	var specs []experiments.Spec
	for _, d := range depths {
		x := sp
		x.Arch = d
		specs = append(specs, x)
	}
	return func() tea.Msg { return common.StartMsg{Specs: specs} }
}

func (s *Page) Help() common.Bindings {
	k := s.keys
	f := s.focused()
	short := []key.Binding{k.Start, common.Hint("↑/↓/tab", "field")}
	if f.kind == choiceField {
		short = append(short, k.Cycle)
	} else {
		short = append(short, k.Clear)
	}
	return common.Bindings{Short: short, Full: [][]key.Binding{{k.Start, k.Next, k.Prev, k.Up, k.Down}, {k.Cycle, k.Clear}}}
}

func (s *Page) render(w, h int) string {
	st := s.c.Styles
	est := s.estimateLines(w)
	wide := w >= 110
	fieldW := w
	if wide {
		fieldW = min(72, w/2+10)
	}
	// The focused field's hint or full error, and what enter does.
	f := s.focused()
	var foot []string
	if f.err != "" {
		foot = append(foot, st.Error.Render(common.Truncate("✗ "+f.label+": "+f.err, fieldW)))
	} else {
		foot = append(foot, st.Subtle.Render(common.Truncate(f.label+": "+f.hint, fieldW)))
	}
	for _, o := range s.other {
		foot = append(foot, st.Error.Render(common.Truncate("✗ "+o, fieldW)))
	}
	foot = append(foot, s.enterLine(fieldW))
	listH := h - len(foot)
	if !wide {
		listH -= len(est) + 1
	}
	listH = max(listH, 3)
	// Scroll so the focused field shows.
	first := 0
	if s.focus >= listH {
		first = s.focus - listH + 1
	}
	if len(s.fields)-first < listH {
		first = max(len(s.fields)-listH, 0)
	}
	var rows []string
	for i := first; i < len(s.fields) && len(rows) < listH; i++ {
		rows = append(rows, s.fieldRow(s.fields[i], i == s.focus, fieldW))
	}
	if first > 0 {
		rows[0] = st.Subtle.Render(common.PadRight("  ↑ more", fieldW))
	}
	if first+listH < len(s.fields) && len(rows) == listH {
		rows[len(rows)-1] = st.Subtle.Render("  ↓ more")
	}
	left := strings.Join(append(rows, foot...), "\n")
	if wide {
		box := st.Box.Width(w - fieldW - 6).Render(strings.Join(est, "\n"))
		return lipgloss.JoinHorizontal(lipgloss.Top, common.PadLines(left, fieldW+2), box)
	}
	return strings.Join(est, "\n") + "\n" + st.Subtle.Render(strings.Repeat("─", w)) + "\n" + left
}

func (s *Page) fieldRow(f *field, focused bool, w int) string {
	st := s.c.Styles
	marker := "  "
	label := common.PadRight(f.label, 15)
	if focused {
		marker = st.Selected.Render("› ")
		label = st.Selected.Render(label)
	} else {
		label = st.Label.Render(label)
	}
	var value string
	valW := 22
	switch {
	case f.kind == choiceField && focused:
		value = "‹ " + f.value() + " ›"
	case f.kind == choiceField:
		value = f.value()
	case focused:
		f.input.Width = valW
		value = f.input.View()
	default:
		value = f.value()
		if value == "" {
			value = st.Subtle.Render(f.empty)
		}
	}
	line := marker + label + common.PadRight(common.Truncate(value, valW+2), valW+3)
	if f.err != "" {
		line += st.Error.Render("✗ " + f.err)
	}
	return common.Truncate(line, w)
}

func (s *Page) enterLine(w int) string {
	st := s.c.Styles
	if !s.valid() {
		return st.Error.Render(common.Truncate("enter: fix the marked settings first", w))
	}
	sp := s.spec()
	depths, _ := s.sweepDepths()
	what := fmt.Sprintf("train %s for %d epochs on %s", sp.Arch, sp.Epochs, common.DataLabel(sp.Data))
	if len(depths) > 0 {
		var names []string
		for _, d := range depths {
			names = append(names, d.Short())
		}
		what = fmt.Sprintf("sweep %s, one after another, %d epochs each", strings.Join(names, ", "), sp.Epochs)
	}
	return st.Good.Render(common.Truncate("enter: "+what, w))
}

// estimateLines is the network, memory, speed and data summary.
func (s *Page) estimateLines(w int) []string {
	st := s.c.Styles
	e := s.est
	lw := 9
	row := func(label, text string) string {
		return common.Truncate(st.Label.Render(common.PadRight(label, lw))+text, w)
	}
	var out []string
	if e.err != "" {
		out = append(out, row("network", st.Error.Render(e.err)))
	} else {
		out = append(out, row("network", fmt.Sprintf("%s · %.2f M parameters · %d classes", e.arch, float64(e.Params)/1e6, e.classes)))
		mem := fmt.Sprintf("≈ %s peak", common.GB(e.PeakBytes))
		if e.MicroBatch < e.Batch {
			mem += fmt.Sprintf(", batch %d as micro-batches of %d", e.Batch, e.MicroBatch)
		}
		mem += fmt.Sprintf(" (budget %s)", common.GB(e.Budget))
		if !e.Fits {
			mem = st.Error.Render(fmt.Sprintf("≈ %s for one image: over the %s budget; lower size or width", common.GB(e.PeakBytes), common.GB(e.Budget)))
		}
		out = append(out, row("memory", mem))
		speed := st.Subtle.Render("unknown until a run is measured on this machine")
		if !math.IsNaN(e.SecPerEpoch) {
			speed = fmt.Sprintf("≈ %s/epoch, %s for %d epochs · %s", common.Duration(e.SecPerEpoch), common.Duration(e.SecPerEpoch*float64(e.epochs)), e.epochs, e.Basis)
			if n := e.sweep; n > 1 || e.epochs < 1 {
				speed = fmt.Sprintf("≈ %s/epoch · %s", common.Duration(e.SecPerEpoch), e.Basis)
			}
		}
		out = append(out, row("time", speed))
	}
	d := s.data
	var data string
	switch {
	case d.checking && !d.checked:
		data = "reading…"
	case d.err != nil:
		data = st.Error.Render(experiments.OneLine(d.err.Error()))
	case d.checked:
		data = fmt.Sprintf("%s: %d classes, %d train and %d validation images", common.DataLabel(d.path), d.classes, d.train, d.valid)
	}
	out = append(out, row("data", data))
	return out
}

// estimate is what the form shows about its settings' cost.
type estimate struct {
	experiments.Estimate
	err     string // why there is no estimate
	arch    resnet.Arch
	classes int
	epochs  int
	sweep   int
}

func (s *Page) estimate(sp experiments.Spec) estimate {
	in := experiments.EstimateInput{Classes: 10, Budget: s.budget, Runs: s.runs}
	if d := s.data; d.checked && d.err == nil {
		if d.classes >= 2 {
			in.Classes = d.classes
		}
		in.TrainImages, in.ValidImages = d.train, d.valid
	}
	e := estimate{arch: sp.Arch, classes: in.Classes, epochs: sp.Epochs}
	est, err := experiments.EstimateSpec(sp, in)
	if err != nil {
		e.err = "fix the network settings to see estimates"
		return e
	}
	e.Estimate = est
	if d, _ := s.sweepDepths(); len(d) > 0 {
		e.sweep = len(d)
	}
	return e
}

func (dataTickMsg) Page() common.PageID { return common.PageSetup }
func (dataInfoMsg) Page() common.PageID { return common.PageSetup }

// SetSize sets the page's size in cells.
func (s *Page) SetSize(w, h int) { s.width, s.height = w, h }

// View draws the page at its size.
func (s *Page) View() string { return s.render(s.width, s.height) }
