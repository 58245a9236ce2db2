package predict

import (
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/components"
)

// Page walks through a run's validation images — the image drawn
// in the terminal, its true class, the model's top-5 as bars — with a
// second run beside it and a key to the next image where they disagree.
// The validation predictions are the ones saved at the best epoch; t
// switches to the data set's test split, which each run's best weights
// classify on the spot, and a typed path is classified live the same way.
type Page struct {
	c             *common.Common
	keys          KeyMap
	width, height int
	runs          []*experiments.Run // every run, for the chooser

	a, b    *predRun
	items   []experiments.ImagePrediction // run a's images of the split shown
	index   int
	jumpTo  string // the image to show first once the runs load
	openSeq int    // counts opens, so only the latest one's runs show
	loading bool
	err     error

	// test is set while the test split is shown; validA and validB then
	// keep the validation predictions to switch back to.
	test           bool
	testBusy       bool
	validA, validB *predRun

	images map[string]*image.NRGBA
	imgErr map[string]error

	choosing   int // 0 none, 1 run a, 2 run b
	chooserPos int

	typing bool
	path   textinput.Model
	live   *livePrediction
}

// predRun is a run and its saved validation predictions.
type predRun struct {
	run    *experiments.Run
	preds  []experiments.ImagePrediction
	byPath map[string]int
	err    error
}

// livePrediction is a typed image classified by the runs' weights.
type livePrediction struct {
	path     string
	img      *image.NRGBA
	imgErr   error
	a, b     []experiments.ClassProb
	aErr     error
	bErr     error
	busy     bool
	trueName string
}

type (
	predictLoadedMsg struct {
		seq      int // the open it answers; an older open's answer is dropped
		aID, bID string
		a, b     *predRun
	}
	imageMsg struct {
		path string
		img  *image.NRGBA
		err  error
	}
	liveMsg struct{ live *livePrediction }
	// testSplitMsg carries the runs' predictions over the test split.
	testSplitMsg struct {
		aID  string
		a, b *predRun
		err  error
	}
)

func New(c *common.Common) *Page {
	in := components.NewInput(c.Styles)
	in.Prompt = "image file: "
	in.Placeholder = "path to a JPEG, PNG, GIF, BMP or WebP"
	return &Page{c: c, keys: DefaultKeyMap(c.Keys), path: in, images: map[string]*image.NRGBA{}, imgErr: map[string]error{}}
}

func (s *Page) Captures(tea.KeyMsg) bool { return s.typing || s.choosing != 0 }

// Empty says whether no run has been opened on the page yet.
func (s *Page) Empty() bool { return s.a == nil && !s.loading }

func (s *Page) Back() bool {
	switch {
	case s.typing:
		s.typing = false
		s.path.Blur()
	case s.choosing != 0:
		s.choosing = 0
	case s.live != nil:
		s.live = nil
	default:
		return false
	}
	return true
}

func loadPredRun(store *experiments.Store, id string) *predRun {
	if id == "" {
		return nil
	}
	r, err := store.Load(id)
	if err != nil {
		return &predRun{err: err}
	}
	preds, err := r.Predictions()
	p := newPredRun(r, preds)
	p.err = err
	return p
}

// newPredRun indexes a run's predictions by image path.
func newPredRun(r *experiments.Run, preds []experiments.ImagePrediction) *predRun {
	p := &predRun{run: r, preds: preds, byPath: make(map[string]int, len(preds))}
	for i, x := range preds {
		p.byPath[x.Path] = i
	}
	return p
}

func (s *Page) open(aID, bID string) tea.Cmd {
	s.loading = true
	s.live = nil
	s.test, s.testBusy, s.validA, s.validB = false, false, nil, nil
	s.openSeq++
	store, seq := s.c.Store, s.openSeq
	return func() tea.Msg {
		return predictLoadedMsg{seq: seq, aID: aID, bID: bID, a: loadPredRun(store, aID), b: loadPredRun(store, bID)}
	}
}

// loadImage draws the current image in the background.
func (s *Page) loadImage() tea.Cmd {
	if s.a == nil || s.index >= len(s.items) {
		return nil
	}
	path := s.items[s.index].Path
	if _, ok := s.images[path]; ok {
		return nil
	}
	if _, ok := s.imgErr[path]; ok {
		return nil
	}
	spec := s.a.run.Meta.Spec
	return func() tea.Msg {
		img, err := experiments.SampleImage(spec, path)
		return imageMsg{path: path, img: img, err: err}
	}
}

func (s *Page) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.RunsLoadedMsg:
		if msg.Err == nil {
			s.runs = msg.Runs
		}
	case common.PredictOpenMsg:
		s.jumpTo = msg.Image
		return s.open(msg.A, msg.B)
	case predictLoadedMsg:
		if msg.seq != s.openSeq {
			return nil // a later open is on its way
		}
		s.loading = false
		s.a, s.b, s.err = msg.a, msg.b, nil
		s.items, s.index = nil, 0
		if s.a != nil {
			if s.a.err != nil {
				s.err = s.a.err
			}
			s.items = s.a.preds
		}
		if i := slices.IndexFunc(s.items, func(p experiments.ImagePrediction) bool { return p.Path == s.jumpTo }); i >= 0 {
			s.index = i
		}
		s.jumpTo = ""
		if s.b != nil && s.b.err != nil {
			s.err = errors.Join(s.err, s.b.err)
		}
		return s.loadImage()
	case imageMsg:
		if msg.err != nil {
			s.imgErr[msg.path] = msg.err
		} else {
			if len(s.images) > 256 {
				clear(s.images)
			}
			s.images[msg.path] = msg.img
		}
	case liveMsg:
		if s.live != nil && s.live.path == msg.live.path {
			s.live = msg.live
		}
	case testSplitMsg:
		if !s.testBusy || s.a == nil || s.a.run == nil || s.a.run.ID != msg.aID {
			return nil // the runs changed meanwhile
		}
		s.testBusy = false
		if msg.err != nil {
			return common.Flash(experiments.OneLine(msg.err.Error()))
		}
		s.validA, s.validB = s.a, s.b
		s.a, s.b, s.test = msg.a, msg.b, true
		s.items, s.index, s.live = msg.a.preds, 0, nil
		return s.loadImage()
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *Page) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	if s.typing {
		switch msg.Type {
		case tea.KeyEnter:
			s.typing = false
			s.path.Blur()
			return s.predictPath(strings.TrimSpace(s.path.Value()))
		case tea.KeyEsc:
			s.typing = false
			s.path.Blur()
			return nil
		}
		var cmd tea.Cmd
		s.path, cmd = s.path.Update(msg)
		return cmd
	}
	if s.choosing != 0 {
		choices := s.choices()
		switch {
		case key.Matches(msg, k.Up):
			s.chooserPos = max(s.chooserPos-1, 0)
		case key.Matches(msg, k.Down):
			s.chooserPos = min(s.chooserPos+1, max(len(choices)-1, 0))
		case key.Matches(msg, k.PageUp):
			s.chooserPos = max(s.chooserPos-max(s.height-2, 1), 0)
		case key.Matches(msg, k.PageDown):
			s.chooserPos = min(s.chooserPos+max(s.height-2, 1), max(len(choices)-1, 0))
		case key.Matches(msg, k.Top):
			s.chooserPos = 0
		case key.Matches(msg, k.Bottom):
			s.chooserPos = max(len(choices)-1, 0)
		case msg.Type == tea.KeyEnter:
			which := s.choosing
			s.choosing = 0
			if s.chooserPos >= len(choices) {
				return nil
			}
			id := choices[s.chooserPos]
			aID, bID := "", ""
			if s.a != nil && s.a.run != nil {
				aID = s.a.run.ID
			}
			if s.b != nil && s.b.run != nil {
				bID = s.b.run.ID
			}
			if which == 1 {
				aID = id
			} else {
				bID = id
			}
			if aID == "" {
				aID, bID = bID, ""
			}
			if bID == aID {
				bID = ""
			}
			return s.open(aID, bID)
		case msg.Type == tea.KeyEsc, msg.String() == "q":
			s.choosing = 0
		}
		return nil
	}
	n := len(s.items)
	switch {
	case key.Matches(msg, k.Right), key.Matches(msg, k.Down):
		s.live = nil
		if n > 0 {
			s.index = (s.index + 1) % n
		}
		return s.loadImage()
	case key.Matches(msg, k.Left), key.Matches(msg, k.Up):
		s.live = nil
		if n > 0 {
			s.index = (s.index - 1 + n) % n
		}
		return s.loadImage()
	case key.Matches(msg, k.PageDown):
		s.live = nil
		if n > 0 {
			s.index = min(s.index+10, n-1)
		}
		return s.loadImage()
	case key.Matches(msg, k.PageUp):
		s.live = nil
		s.index = max(s.index-10, 0)
		return s.loadImage()
	case key.Matches(msg, k.Top):
		s.live = nil
		s.index = 0
		return s.loadImage()
	case key.Matches(msg, k.Bottom):
		s.live = nil
		s.index = max(n-1, 0)
		return s.loadImage()
	case key.Matches(msg, k.NextDiff):
		return s.jump(1)
	case key.Matches(msg, k.PrevDiff):
		return s.jump(-1)
	case key.Matches(msg, k.RunA):
		s.choosing, s.chooserPos = 1, 0
	case key.Matches(msg, k.RunB):
		if len(s.choices()) == 0 {
			return common.Flash("no runs with predictions: train one first")
		}
		s.choosing, s.chooserPos = 2, 0
	case key.Matches(msg, k.Path):
		if s.a == nil || s.a.run == nil {
			return common.Flash("choose a run first (a)")
		}
		s.typing = true
		s.path.SetValue("") // a new path each time, not appended to the last
		return s.path.Focus()
	case key.Matches(msg, k.Split):
		return s.toggleSplit()
	}
	return nil
}

// toggleSplit switches between the validation images (saved predictions)
// and the test split, which each run's best weights classify in the
// background; the models load once and are kept.
func (s *Page) toggleSplit() tea.Cmd {
	switch {
	case s.a == nil || s.a.run == nil:
		return common.Flash("choose a run first (a)")
	case s.testBusy:
		return nil
	case s.test:
		s.a, s.b, s.test = s.validA, s.validB, false
		s.validA, s.validB = nil, nil
		s.items, s.index, s.live = s.a.preds, 0, nil
		return s.loadImage()
	}
	s.testBusy = true
	runs := []*experiments.Run{s.a.run}
	if s.b != nil && s.b.run != nil {
		runs = append(runs, s.b.run)
	}
	cache, ctx := s.c.Predictors, s.c.Context
	return func() tea.Msg {
		msg := testSplitMsg{aID: runs[0].ID}
		for i, r := range runs {
			var preds []experiments.ImagePrediction
			err := cache.With(r, func(p *experiments.Predictor) (err error) {
				preds, err = p.PredictSplit(ctx, r, "test")
				return err
			})
			if err != nil {
				msg.err = fmt.Errorf("run %s: %w", experiments.ShortID(r.ID), err)
				return msg
			}
			pr := newPredRun(r, preds)
			if i == 0 {
				msg.a = pr
			} else {
				msg.b = pr
			}
		}
		return msg
	}
}

// choices are the runs that can predict: those with saved predictions.
func (s *Page) choices() []string {
	var ids []string
	for _, r := range s.runs {
		if r.Status.BestEpoch > 0 {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// disagree says whether image i is one to stop at: the two runs' top
// classes differ, or with one run, it is wrong.
func (s *Page) disagree(i int) bool {
	p := s.items[i]
	if s.b == nil || s.b.run == nil {
		return !p.Correct()
	}
	j, ok := s.b.byPath[p.Path]
	if !ok {
		return false
	}
	q := s.b.preds[j]
	return len(p.Top) > 0 && len(q.Top) > 0 && p.Top[0] != q.Top[0]
}

func (s *Page) jump(dir int) tea.Cmd {
	n := len(s.items)
	what := "image the run gets wrong"
	if s.b != nil && s.b.run != nil {
		what = "disagreement"
	}
	for step := 1; step <= n; step++ {
		i := ((s.index+dir*step)%n + n) % n
		if s.disagree(i) {
			s.live = nil
			s.index = i
			return s.loadImage()
		}
	}
	return common.Flash("no " + what + " among these images")
}

func (s *Page) disagreements() int {
	c := 0
	for i := range s.items {
		if s.disagree(i) {
			c++
		}
	}
	return c
}

// predictPath classifies a typed image file with run a (and b) in the
// background; the models load once and are kept.
func (s *Page) predictPath(path string) tea.Cmd {
	if path == "" || s.a == nil || s.a.run == nil {
		return nil
	}
	runs := []*experiments.Run{s.a.run}
	if s.b != nil && s.b.run != nil {
		runs = append(runs, s.b.run)
	}
	live := &livePrediction{path: path, busy: true}
	// The true class, when the file sits in a class folder.
	parent := filepath.Base(filepath.Dir(path))
	if i := slices.Index(s.a.run.Meta.Classes, parent); i >= 0 && i < len(s.a.run.Meta.ClassNames) {
		live.trueName = s.a.run.Meta.ClassNames[i]
	}
	s.live = live
	cache, ctx := s.c.Predictors, s.c.Context
	return func() tea.Msg {
		out := *live
		out.busy = false
		out.img, out.imgErr = experiments.SampleImage(runs[0].Meta.Spec, path)
		for i, r := range runs {
			var top []experiments.ClassProb
			err := cache.With(r, func(p *experiments.Predictor) error {
				res, err := p.PredictFiles(ctx, []string{path})
				if err == nil && len(res) == 1 {
					top = res[0].TopK
				}
				return err
			})
			if i == 0 {
				out.a, out.aErr = top, err
			} else {
				out.b, out.bErr = top, err
			}
		}
		return liveMsg{live: &out}
	}
}

func (predictLoadedMsg) Page() common.PageID { return common.PagePredict }
func (imageMsg) Page() common.PageID         { return common.PagePredict }
func (liveMsg) Page() common.PageID          { return common.PagePredict }
func (testSplitMsg) Page() common.PageID     { return common.PagePredict }
