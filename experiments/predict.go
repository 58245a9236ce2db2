package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

// PredictOptions choose a checkpoint and how images are prepared for it.
type PredictOptions struct {
	Weights string // safetensors file with torchvision/timm names
	// Depth of the network; 0 takes it from the file. A depth that differs
	// from the file's is an error that says what the file holds.
	Depth int
	// Head as a --head value ("linear", "512,64"); "" takes it from the file.
	Head    string
	Pooling resnet.Pooling // "" takes it from the file, else avg
	Size    int            // input side; 0 takes the file's, else 224
	TopK    int            // 0 means 5
	Norm    augment.Normalization
	// ClassFolders and ClassNames name class indices in results (the
	// data set's folders and display names); either may be nil.
	ClassFolders, ClassNames []string
	// TTA is the test-time augmentation ("", "flip", "crops" or "crops-flip").
	TTA resnet.TTA
	// JPEG is the decoder of the images it classifies; a run's predictor
	// takes the run's own (RunJPEGDecoder), so that it sees the pixels the
	// run was validated on.
	JPEG augment.JPEGDecoder
}

// ClassProb is one ranked class of a prediction.
type ClassProb struct {
	Index int     `json:"index"`           // the model's output index
	Class string  `json:"class,omitempty"` // the class folder's name, when known
	Name  string  `json:"name,omitempty"`  // the display name, when it differs from the folder's
	Prob  float64 `json:"prob"`
}

// Label is how a class is printed: its folder, then its display name when
// that differs ("8 bird of paradise"), or its index when neither is known.
func (c ClassProb) Label() string {
	switch {
	case c.Class == "":
		return fmt.Sprintf("#%d", c.Index)
	case c.Name != "":
		return c.Class + " " + c.Name
	default:
		return c.Class
	}
}

// Display is the class's display name, else its folder, else its index.
func (c ClassProb) Display() string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Class != "":
		return c.Class
	default:
		return fmt.Sprintf("#%d", c.Index)
	}
}

// NewClassProb names output index i from a run's class folders and
// display names (either may be nil).
func NewClassProb(i int, prob float64, folders, names []string) ClassProb {
	c := ClassProb{Index: i, Prob: prob}
	if i < len(folders) {
		c.Class = folders[i]
	}
	if i < len(names) && names[i] != c.Class {
		c.Name = names[i]
	}
	return c
}

// Prediction is the top-k of one image.
type Prediction struct {
	Image string      `json:"image"`
	TopK  []ClassProb `json:"topk"`
}

// Predictor classifies image files with a model in eval mode.
type Predictor struct {
	model *resnet.Model
	opts  PredictOptions
}

// OpenPredictor loads the weights into a model shaped as the options and the
// file say. Every name and shape is checked; a mismatch names what differs.
func OpenPredictor(opts PredictOptions) (*Predictor, error) {
	info, file, err := resnet.InspectWeights(opts.Weights)
	if err != nil {
		return nil, err
	}
	cfg := resnet.Config{Depth: info.Depth, Width: info.Width, InputSize: 224, Classes: info.Classes,
		Pooling: resnet.PoolAvg, Hidden: info.Hidden, Mode: resnet.ModeFinetune}
	if opts.Depth != 0 && opts.Depth != info.Depth {
		return nil, fmt.Errorf("%w: %s holds resnet%d weights, not resnet%d: use --arch resnet%d", resnet.ErrWeights, opts.Weights, info.Depth, opts.Depth, info.Depth)
	}
	if info.Pooling != "" {
		cfg.Pooling = info.Pooling
	}
	if opts.Pooling != "" {
		cfg.Pooling = opts.Pooling
	}
	if info.InputSize > 0 {
		cfg.InputSize = info.InputSize
	}
	if opts.Size > 0 {
		cfg.InputSize = opts.Size
	}
	if opts.Head != "" {
		if cfg.Hidden, err = resnet.ParseHead(opts.Head); err != nil {
			return nil, err
		}
	}
	if opts.TopK <= 0 {
		opts.TopK = 5
	}
	// A model is never bigger than the file that fills it: a header claiming
	// a huge head (a damaged or crafted shape) fails here, before allocation.
	var values int64
	for _, t := range file.Tensors {
		if t.IsFloat() {
			values += int64(t.Elements())
		}
	}
	if need := int64(resnet.ParamCount(cfg)); values < need {
		return nil, fmt.Errorf("%w: %s holds %d weights, a %s with %d classes needs %d: the file is damaged or describes another network",
			resnet.ErrWeights, opts.Weights, values, cfg.Arch(), cfg.Classes, need)
	}
	m, err := resnet.NewModel(cfg, 0)
	if err != nil {
		return nil, err
	}
	if _, err := m.Load(file, opts.Weights, resnet.LoadOptions{}); err != nil {
		return nil, err
	}
	m.SetTTA(opts.TTA)
	return &Predictor{model: m, opts: opts}, nil
}

// Config is the network the predictor runs.
func (p *Predictor) Config() resnet.Config { return p.model.Config() }

// Close releases the model's graphs.
func (p *Predictor) Close() { p.model.Close() }

// predictBatch bounds how many images are run through the network at once.
const predictBatch = 16

// PredictFiles decodes and prepares every image first, so a missing or
// unreadable file stops the command before any work, then classifies them
// in batches.
func (p *Predictor) PredictFiles(ctx context.Context, paths []string) ([]Prediction, error) {
	size := p.model.Config().InputSize
	per := 3 * size * size
	pixels := make([]float32, 0, len(paths)*per)
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		px, err := augment.PreprocessFile(path, size, p.opts.Norm, p.opts.JPEG)
		if err != nil {
			return nil, err
		}
		pixels = append(pixels, px...)
	}
	out := make([]Prediction, 0, len(paths))
	for lo := 0; lo < len(paths); lo += predictBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+predictBatch, len(paths))
		b := train.SliceBatch{Images: pixels[lo*per : hi*per], Classes: make([]int, hi-lo)}
		for i := range b.Classes {
			b.Classes[i] = -1 // unknown: probabilities only
		}
		res, err := p.model.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		k := p.model.Config().Classes
		for i := 0; i < hi-lo; i++ {
			out = append(out, Prediction{Image: paths[lo+i], TopK: p.topK(res.Probs[i*k : (i+1)*k])})
		}
	}
	return out, nil
}

func (p *Predictor) topK(probs []float32) []ClassProb {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	k := min(p.opts.TopK, len(idx))
	out := make([]ClassProb, k)
	for i, c := range idx[:k] {
		out[i] = NewClassProb(c, float64(probs[c]), p.opts.ClassFolders, p.opts.ClassNames)
	}
	return out
}

// SetTTA changes the test-time augmentation (a run's predictor uses the
// run's own).
func (p *Predictor) SetTTA(t resnet.TTA) {
	p.opts.TTA = t
	p.model.SetTTA(t)
}

// OpenRunPredictor loads a run's best weights with the run's own settings
// (size, head, normalisation) and class names.
func OpenRunPredictor(run *Run, topK int) (*Predictor, error) {
	s := run.Meta.Spec
	weights := run.Path(BestWeightsFile)
	if run.Status.BestEpoch == 0 {
		return nil, fmt.Errorf("run %s has no best weights yet (no epoch finished): resume or train it first", run.ID)
	}
	tta, _ := resnet.ParseTTA(s.TTA)
	p, err := OpenPredictor(PredictOptions{Weights: weights, Depth: s.Arch.Depth(), Head: s.Head.String(), Pooling: s.Pooling,
		Size: s.EvalSizeOrSize(), TopK: topK, Norm: s.Norm, ClassFolders: run.Meta.Classes, ClassNames: run.Meta.ClassNames, TTA: tta, JPEG: RunJPEGDecoder(run.Meta)})
	if err != nil {
		return nil, fmt.Errorf("run %s: its best weights %s cannot be used (%w); resume the run (reslab resume %s) to save new ones", run.ID, weights, err, run.ID)
	}
	return p, nil
}

// RunJPEGDecoder is the decoder that gives a run's pixels: reslab's own
// where the run's last part decoded with it (or where its record is from
// before decoders were recorded, when that was the default build's),
// libjpeg-turbo where it did (reslab's own on a machine without the
// library; the note of decoderNote's kind is then the resume's business).
func RunJPEGDecoder(m RunMeta) augment.JPEGDecoder {
	if lastDecoder(m.JPEGDecoder) == "libjpeg-turbo" {
		return augment.JPEGFastest
	}
	return augment.JPEGGo
}

// splitLoader opens a split ("valid" or "test") of the run's data set for
// prediction: the run's size and normalisation, no augmentation.
func (p *Predictor) splitLoader(run *Run, split string) (*augment.Loader, error) {
	ds, err := OpenData(run.Meta.Spec)
	if err != nil {
		return nil, err
	}
	var sp augment.Split
	switch split {
	case "valid":
		sp = ds.Valid
	case "test":
		if ds.Test == nil {
			return nil, fmt.Errorf("%s has no test/ folder; use --split valid", run.Meta.Spec.DataLabel())
		}
		sp = *ds.Test
	default:
		return nil, fmt.Errorf("split %q: want valid or test", split)
	}
	return augment.NewLoader(sp, augment.LoaderOptions{Size: p.Config().InputSize, BatchSize: predictBatch, Norm: p.opts.Norm, Seed: run.Meta.Spec.Seed, JPEG: p.opts.JPEG})
}

// PredictSplit classifies every image of a split of the run's data set and
// returns, per image in the split's order, its true class and the top
// classes (as many as the predictor's TopK) with their probabilities: what
// predictions.csv holds for the validation images at the best epoch, for
// any split and the weights now.
func (p *Predictor) PredictSplit(ctx context.Context, run *Run, split string) ([]ImagePrediction, error) {
	var out []ImagePrediction
	k := p.Config().Classes
	_, err := p.evalSplit(ctx, run, split, func(b *augment.Batch, r train.EvalResult) {
		for i, path := range b.Paths() {
			ip := ImagePrediction{Path: path, Label: b.Labels()[i]}
			for _, c := range p.topK(r.Probs[i*k : (i+1)*k]) {
				ip.Top = append(ip.Top, c.Index)
				ip.Probs = append(ip.Probs, c.Prob)
			}
			out = append(out, ip)
		}
	})
	return out, err
}

// evalSplit runs the model over a split, batch by batch, handing each
// batch and its results to each, and returns how many images the loader
// skipped as unreadable.
func (p *Predictor) evalSplit(ctx context.Context, run *Run, split string, each func(*augment.Batch, train.EvalResult)) (skipped int, err error) {
	l, err := p.splitLoader(run, split)
	if err != nil {
		return 0, err
	}
	it := l.Epoch(ctx, 0)
	defer it.Close()
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return l.Skipped().Count, nil
		}
		if err != nil {
			return 0, err
		}
		r, err := p.model.Eval(ctx, b)
		if err != nil {
			return 0, err
		}
		each(b, r)
	}
}

// SplitAccuracy is a model's accuracy over one split of a data set.
type SplitAccuracy struct {
	Split    string  `json:"split"`
	Images   int     `json:"images"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"`
	// AccuracyCI is the accuracy's 95 % Wilson interval.
	AccuracyCI [2]float64 `json:"accuracy_ci"`
	Loss       float64    `json:"loss"`
	Skipped    int        `json:"skipped,omitempty"`
}

// EvaluateSplit runs the predictor over a split ("valid" or "test") of the
// run's data set, prepared as in training's validation (no augmentation).
func (p *Predictor) EvaluateSplit(ctx context.Context, run *Run, split string) (SplitAccuracy, error) {
	res := SplitAccuracy{Split: split}
	var lossSum float64
	skipped, err := p.evalSplit(ctx, run, split, func(_ *augment.Batch, r train.EvalResult) {
		res.Images += r.Images
		res.Correct += r.Correct
		lossSum += r.Loss * float64(r.Images)
	})
	if err != nil {
		return res, err
	}
	if res.Images > 0 {
		res.Accuracy = float64(res.Correct) / float64(res.Images)
		res.Loss = lossSum / float64(res.Images)
	}
	res.AccuracyCI[0], res.AccuracyCI[1] = Wilson(res.Correct, res.Images)
	res.Skipped = skipped
	return res, nil
}
