package experiments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

// Runner starts and resumes runs: it validates the spec, opens the data,
// builds loaders and model, creates the run folder and runs the training loop's fit
// loop in a goroutine, persisting every epoch before reporting it.
type Runner struct {
	Store  *Store
	Logger *slog.Logger // nil discards
	// MemoryBudget caps one training graph's predicted memory; 0 uses the
	// network's default share of physical memory.
	MemoryBudget int64
	// ImageCache, when set, keeps decoded images on disk for later runs of
	// the same data (augment.DiskCache).
	ImageCache *augment.DiskCache
	// JPEG is the decoder of the runs' JPEG files: libjpeg-turbo where the
	// machine has it, unless augment.JPEGGo.
	JPEG augment.JPEGDecoder
}

// Session is a run in progress.
type Session struct {
	ID  string
	Dir string
	// Events delivers the training loop's events; the done event comes after the
	// final status is on disk. Read it until it is closed.
	Events <-chan train.Event
	Meta   RunMeta
	// Notes are things the user should know, such as which weights the
	// model started from.
	Notes []string

	done   chan struct{}
	result train.FitResult
	err    error
}

// Wait blocks until the run ends and returns its outcome.
func (s *Session) Wait() (train.FitResult, error) {
	<-s.done
	return s.result, s.err
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// OpenData opens the spec's data set, or generates the demo set, and
// selects its cross-validation fold when it has one.
func OpenData(spec Spec) (*augment.Dataset, error) {
	var ds *augment.Dataset
	var err error
	if spec.Data == "" {
		ds, err = augment.Demo(augment.DemoOptions{Seed: 1})
	} else {
		ds, err = augment.OpenDataset(spec.Data, augment.OpenOptions{ValidFraction: spec.ValidFraction, Seed: spec.Seed})
	}
	if err != nil || spec.Folds == 0 {
		return ds, err
	}
	if err := ds.UseFold(spec.Folds, spec.Fold, spec.FoldSeed); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.DataLabel(), err)
	}
	return ds, nil
}

// prepared is what both Start and Resume build before training.
type prepared struct {
	ds           *augment.Dataset
	model        *resnet.Model
	train, valid *augment.Loader
	// recalibrate is BatchNorm recalibration's images; nil when off.
	recalibrate *augment.Loader
	// skipped is the images whose headers could not be read.
	skipped augment.SkipReport
}

func (r *Runner) prepare(ctx context.Context, spec Spec) (*prepared, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	ds, err := OpenData(spec)
	if err != nil {
		return nil, err
	}
	skipped, err := dropUnreadable(ctx, ds)
	if err != nil {
		return nil, err
	}
	cfg := spec.ModelConfig(len(ds.Classes))
	if err := r.checkFits(cfg, spec); err != nil {
		return nil, err
	}
	model, err := resnet.NewModel(cfg, uint64(spec.Seed))
	if err != nil {
		return nil, err
	}
	if r.MemoryBudget > 0 {
		model.SetMemoryBudget(r.MemoryBudget)
	}
	model.SetMicroBatch(spec.MicroBatch)
	// A frozen backbone sees unaugmented images as fixed inputs: compute
	// their features once, not every epoch.
	model.SetFeatureCache(!spec.Augment.Enabled())
	// The update rule before any resume state is loaded into it.
	optCfg, err := spec.OptimizerConfig()
	if err != nil {
		model.Close()
		return nil, err
	}
	model.SetOptimizer(optCfg)
	model.SetLabelSmoothing(spec.LabelSmoothing)
	tta, _ := resnet.ParseTTA(spec.TTA) // validated
	model.SetTTA(tta)
	model.SetEMA(spec.EMADecay)
	model.SetHeadOnlyEpochs(spec.HeadOnlyEpochs)
	// Validation's images: unaugmented, at the evaluation size.
	evalOpts := augment.LoaderOptions{Size: spec.EvalSizeOrSize(), BatchSize: spec.Batch, Norm: spec.Norm, Seed: spec.Seed, DiskCache: r.ImageCache, JPEG: r.JPEG}
	trainOpts := evalOpts
	trainOpts.Size, trainOpts.Augment, trainOpts.Shuffle = spec.Size, spec.Augment, true
	train, err := augment.NewLoader(ds.Train, trainOpts)
	if err != nil {
		return nil, err
	}
	valid, err := augment.NewLoader(ds.Valid, evalOpts)
	if err != nil {
		return nil, err
	}
	p := &prepared{ds: ds, model: model, train: train, valid: valid, skipped: skipped}
	if spec.RecalibrateBN > 0 {
		// Training images as validation sees them, shuffled per epoch, so
		// that fewer batches than the epoch holds are a different sample
		// each time.
		recalOpts := evalOpts
		recalOpts.Shuffle = true
		if p.recalibrate, err = augment.NewLoader(ds.Train, recalOpts); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// recalibrateSource is the recalibration batches for train.Fit: nil, not a
// nil loader in an interface, when recalibration is off.
func (p *prepared) recalibrateSource() train.BatchSource {
	if p.recalibrate == nil {
		return nil
	}
	return loaderSource{p.recalibrate}
}

// arithmeticNote is a resume's note when the run started under other
// convolutions or matrix products than this process has (another build,
// or a CPU without AVX-512): training goes on correctly, but the sums round
// differently, so the result is not bit for bit an uninterrupted run's.
func arithmeticNote(started string) string {
	now := resnet.Arithmetic()
	if started == "" || started == now {
		return ""
	}
	return fmt.Sprintf("this process computes with %s, the run started with %s: it trains on, but not bit for bit as it would have uninterrupted", now, started)
}

// decoderNote is a resume's note when the run's JPEGs were decoded by
// another decoder than this process's (libjpeg-turbo loaded on one machine,
// not on the other, or RESLAB_JPEG=go): the pixels differ by a level or so,
// so training goes on, but not bit for bit. started is the record: the
// decoder the run began with, then "; then …" for each change.
func decoderNote(started, now string) string {
	last := lastDecoder(started)
	if last == "" || last == now {
		return ""
	}
	return fmt.Sprintf("this process decodes JPEGs with %s, the run's images were decoded with %s: it trains on, but not bit for bit as it would have uninterrupted", decoderLabel(now), decoderLabel(last))
}

// lastDecoder is the decoder of a run's last part, from its record (one
// name, then "; then " and another for each change).
func lastDecoder(record string) string {
	if i := strings.LastIndex(record, "; then "); i >= 0 {
		return record[i+len("; then "):]
	}
	return record
}

// JPEGDecodersLabel names the decoders of a run's record for people: each
// part's, reslab's own spelled out.
func JPEGDecodersLabel(record string) string {
	parts := strings.Split(record, "; then ")
	for i, p := range parts {
		parts[i] = decoderLabel(p)
	}
	return strings.Join(parts, ", then ")
}

// decoderLabel names a decoder for a note.
func decoderLabel(name string) string {
	if name == "go" {
		return "reslab's pure-Go decoder"
	}
	return name
}

// skipNotes are a run's start notes about unreadable images: one per file
// named, then the count of the rest.
func skipNotes(rep augment.SkipReport) []string {
	var out []string
	for _, s := range rep.First {
		out = append(out, "skipped "+OneLine(s.Err.Error()))
	}
	if more := rep.Count - len(rep.First); more > 0 {
		out = append(out, fmt.Sprintf("and %d more unreadable images skipped", more))
	}
	return out
}

// dropUnreadable reads every image's header before training and leaves out
// the ones that cannot be used, so counts and accuracies are over the images
// really used; a class left without training images, or a validation set
// left empty, is refused before any run folder exists.
func dropUnreadable(ctx context.Context, ds *augment.Dataset) (augment.SkipReport, error) {
	var none augment.SkipReport
	train, trep, err := augment.CheckHeaders(ctx, ds.Train)
	if err != nil {
		return none, err
	}
	valid, vrep, err := augment.CheckHeaders(ctx, ds.Valid)
	if err != nil {
		return none, err
	}
	for c, n := range train.Counts() {
		if n == 0 {
			return none, fmt.Errorf("class %q has no readable training image in %s (%s): add images or remove the folder",
				ds.Classes[c], ds.Train.Dir, trep.String())
		}
	}
	if len(valid.Samples) == 0 {
		return none, fmt.Errorf("no readable validation image in %s (%s)", ds.Valid.Dir, vrep.String())
	}
	ds.Train, ds.Valid = train, valid
	return trep.Merge(vrep), nil
}

// checkFits refuses, before any run folder exists, a network whose
// smallest micro-batch is predicted not to fit the memory budget.
func (r *Runner) checkFits(cfg resnet.Config, spec Spec) error {
	budget := r.MemoryBudget
	if budget <= 0 {
		budget = resnet.DefaultMemoryBudget()
	}
	smallest := 1
	if spec.MicroBatch > 0 {
		smallest = min(spec.MicroBatch, spec.Batch)
	}
	if need := resnet.EstimateMemory(cfg, smallest); need > budget {
		return fmt.Errorf("%w: %s width %d at %d px needs about %.1f GB for %d image(s) at a time, over the memory budget of %.1f GB: lower --size, --width or the depth",
			ErrSpec, spec.Arch, spec.Width, spec.Size, float64(need)/1e9, smallest, float64(budget)/1e9)
	}
	return nil
}

// initialWeights loads spec.Weights: the whole model when it fits, else the
// backbone alone (transfer learning onto a new head), and says which.
func initialWeights(m *resnet.Model, path string) (string, error) {
	if path == "" {
		return "started from random weights (He initialisation)", nil
	}
	if _, err := m.LoadWeights(path, resnet.LoadOptions{}); err == nil {
		return "started from all weights in " + path, nil
	}
	rep, err := m.LoadWeights(path, resnet.LoadOptions{BackboneOnly: true})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("started from the backbone in %s; new head (%d tensors initialised, %d in the file not used)",
		path, len(rep.FreshHead), len(rep.SkippedHead)), nil
}

// planBudget is a time budget's first plan: the epochs the budget buys at
// the speed earlier runs of the same network measured here, else the most
// allowed until the first epoch has measured it (the plan is revised
// after every epoch either way).
func (r *Runner) planBudget(spec Spec, p *prepared) (int, string) {
	runs, _, _ := r.Store.List()
	e, err := EstimateSpec(spec, EstimateInput{Classes: len(p.ds.Classes), TrainImages: p.ds.Train.Len(), ValidImages: p.ds.Valid.Len(),
		Budget: math.MaxInt64, Runs: runs})
	budget := Duration(spec.BudgetSeconds)
	if err != nil || math.IsNaN(e.SecPerEpoch) || e.SecPerEpoch <= 0 || !strings.HasPrefix(e.Basis, "measured") {
		return spec.Epochs, fmt.Sprintf("time budget %s: the epochs are planned once the first is timed (at most %d)", budget, spec.Epochs)
	}
	n := min(max(int(spec.BudgetSeconds/e.SecPerEpoch), 1), spec.Epochs)
	return n, fmt.Sprintf("time budget %s: %d epochs planned at %.3g s/epoch (%s), revised after each", budget, n, e.SecPerEpoch, e.Basis)
}

// FrozenRandomWarning is said when a run would train only a head on a
// backbone of random weights, which cannot learn much: the reference Keras
// recipe with no ImageNet weights to start from.
const FrozenRandomWarning = "warning: the backbone is frozen with random weights, so only the head learns and accuracy stays low; give --weights (a run's best.safetensors, see the flowers92-pretrain preset) or train with --mode scratch or finetune"

// Start begins a new run of spec.
func (r *Runner) Start(ctx context.Context, spec Spec) (*Session, error) {
	return r.start(ctx, spec, nil)
}

func (r *Runner) start(ctx context.Context, spec Spec, ref *SweepRef) (*Session, error) {
	if spec.Data != "" && !filepath.IsAbs(spec.Data) {
		abs, err := filepath.Abs(spec.Data)
		if err != nil {
			return nil, fmt.Errorf("data folder %s: %w", spec.Data, err)
		}
		spec.DataAsGiven, spec.Data = spec.Data, abs
	}
	p, err := r.prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	note, err := initialWeights(p.model, spec.Weights)
	if err != nil {
		return nil, err
	}
	var budgetNote string
	if spec.BudgetSeconds > 0 {
		spec.Epochs, budgetNote = r.planBudget(spec, p)
	}
	meta := RunMeta{Spec: spec, Classes: p.ds.Classes, ClassNames: p.ds.Names, Fingerprint: p.ds.Fingerprint,
		TrainImages: p.ds.Train.Len(), ValidImages: p.ds.Valid.Len(), Params: p.model.NumParams(), Sweep: ref,
		Arithmetic: resnet.Arithmetic(), JPEGDecoder: r.JPEG.Name()}
	w, err := r.Store.Create(meta)
	if err != nil {
		return nil, err
	}
	r.logger().Info("run started", "run", w.ID, "arch", spec.Arch, "mode", spec.Mode, "note", note)
	notes := append([]string{note}, skipNotes(p.skipped)...)
	if budgetNote != "" {
		notes = append(notes, budgetNote)
	}
	if spec.Mode == resnet.ModeFrozen && spec.Weights == "" {
		notes = append(notes, FrozenRandomWarning)
	}
	if p.skipped.Count > 0 {
		w.Status.Skipped, w.Status.SkippedNote = p.skipped.Count, p.skipped.String()
	}
	return r.launch(ctx, w, p, nil, notes), nil
}

// Resume continues a stopped or interrupted run from its last checkpoint.
func (r *Runner) Resume(ctx context.Context, id string) (*Session, error) {
	return r.resume(ctx, id, 0)
}

// Extend trains a run further, to epochs in all: a completed or
// early-stopped run continues from its last checkpoint as if it had been
// planned longer (early stopping's patience starts over), and a stopped
// or interrupted one resumes with the new plan.
func (r *Runner) Extend(ctx context.Context, id string, epochs int) (*Session, error) {
	return r.resume(ctx, id, epochs)
}

func (r *Runner) resume(ctx context.Context, id string, extendTo int) (*Session, error) {
	w, err := r.Store.OpenWriter(id)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Session, error) {
		w.Close()
		return nil, err
	}
	finished := w.Status.State.Finished()
	switch {
	case extendTo > 0 && extendTo <= len(w.Metrics):
		return fail(fmt.Errorf("run %s has trained %d epochs already: --epochs %d must be more", w.ID, len(w.Metrics), extendTo))
	case extendTo == 0 && finished:
		return fail(fmt.Errorf("run %s has %s; there is nothing to resume (reslab resume %s --epochs N trains it to N epochs)", w.ID, w.Status.State, w.ID))
	}
	var extendNote string
	if extendTo > 0 {
		extendNote = fmt.Sprintf("extended from %d to %d planned epochs", w.Meta.Spec.Epochs, extendTo)
		w.Meta.Spec.Epochs = extendTo
		if err := w.SaveMeta(); err != nil {
			return fail(err)
		}
	}
	// A run killed before its first checkpoint has trained nothing that
	// could be lost: it starts over in its own folder, to the same result.
	fresh := false
	if _, err := os.Stat(w.Path(LastOptimFile)); err != nil {
		if len(w.Metrics) > 0 {
			return fail(fmt.Errorf("run %s has epochs but no resume checkpoint (%s is missing): its epochs and best weights are intact; start a new run to train further", w.ID, w.Path(LastOptimFile)))
		}
		fresh = true
	}
	p, err := r.prepare(ctx, w.Meta.Spec)
	if err != nil {
		return fail(err)
	}
	if p.ds.Fingerprint != w.Meta.Fingerprint {
		return fail(fmt.Errorf("the data in %s changed since run %s started (images added, removed or modified); start a new run on it", w.Meta.Spec.DataLabel(), w.ID))
	}
	if fresh {
		note, err := initialWeights(p.model, w.Meta.Spec.Weights)
		if err != nil {
			return fail(err)
		}
		if err := w.RewriteMetrics(nil); err != nil {
			return fail(err)
		}
		w.Status.State, w.Status.Error = StateRunning, ""
		if err := w.SaveStatus(); err != nil {
			return fail(err)
		}
		r.logger().Info("run restarted", "run", w.ID)
		return r.launch(ctx, w, p, nil, []string{"restarted from the beginning: it stopped before its first checkpoint", note}), nil
	}
	if _, err := p.model.LoadWeights(w.Path(LastWeightsFile), resnet.LoadOptions{}); err != nil {
		return fail(err)
	}
	st, err := p.model.LoadResumeState(w.Path(LastOptimFile))
	if err != nil {
		return fail(err)
	}
	if tag := weightsTag(w.Path(LastWeightsFile)); tag != resumeTag(st) {
		return fail(fmt.Errorf("run %s: %s and %s are from different steps (%s, %s): the process was killed while saving; resume is not possible, the run's epochs and best weights are intact", w.ID, LastWeightsFile, LastOptimFile, tag, resumeTag(st)))
	}
	if err := w.RewriteMetrics(st.History); err != nil {
		return fail(err)
	}
	notes := []string{fmt.Sprintf("resumed at epoch %d, batch %d", st.Epoch+1, st.Partial.Steps)}
	if note := arithmeticNote(w.Meta.Arithmetic); note != "" {
		notes = append(notes, note)
		// The record names every arithmetic the run has trained under, so
		// show says it, and a later resume notes it again whatever it runs
		// under.
		w.Meta.Arithmetic += "; then " + resnet.Arithmetic()
		if err := w.SaveMeta(); err != nil {
			return fail(err)
		}
	}
	if note := decoderNote(w.Meta.JPEGDecoder, r.JPEG.Name()); note != "" {
		notes = append(notes, note)
		w.Meta.JPEGDecoder += "; then " + r.JPEG.Name()
		if err := w.SaveMeta(); err != nil {
			return fail(err)
		}
	}
	if extendNote != "" {
		notes = append(notes, extendNote)
		if st.Early != nil && finished {
			st.Early.Wait = 0
			notes = append(notes, "early stopping's patience starts over")
		}
	}
	if st.Best.BestEpoch > 0 {
		// The best checkpoint the fit state remembers must still be on disk;
		// if not, the best monitor starts over rather than reporting weights
		// nobody can load.
		if _, err := p.model.LoadWeights(w.Path(BestWeightsFile), resnet.LoadOptions{CheckOnly: true}); err != nil {
			st.Best = train.Monitor{Metric: st.Best.Metric, MinDelta: st.Best.MinDelta}
			w.Status.BestEpoch, w.Status.Best = 0, nil
			notes = append(notes, fmt.Sprintf("%s is missing or damaged (%s): the best checkpoint starts over with the next epoch", BestWeightsFile, OneLine(err.Error())))
		}
	}
	w.Status.State = StateRunning
	w.Status.Error = ""
	if err := w.SaveStatus(); err != nil {
		return fail(err)
	}
	r.logger().Info("run resumed", "run", w.ID, "epoch", st.Epoch, "step", st.Partial.Steps, "notes", notes)
	notes = append(notes, skipNotes(p.skipped)...)
	return r.launch(ctx, w, p, &st, notes), nil
}

// saveResumePair writes the resume checkpoint's two files so that a full
// disk or a failed write leaves the previous pair whole: both are written
// aside first, and only then renamed into place (microseconds apart; a kill
// between the renames is caught by the pair's resume tags).
func saveResumePair(w *RunWriter, model *resnet.Model, st train.FitState) error {
	weights, optim := w.Path(stagedPrefix+LastWeightsFile), w.Path(stagedPrefix+LastOptimFile)
	discard := func(err error) error {
		os.Remove(weights)
		os.Remove(optim)
		return err
	}
	if err := model.SaveWeightsTagged(weights, map[string]string{"resume_tag": resumeTag(st)}); err != nil {
		return discard(err)
	}
	if err := model.SaveResumeState(optim, st); err != nil {
		return discard(err)
	}
	if err := os.Rename(weights, w.Path(LastWeightsFile)); err != nil {
		return discard(fmt.Errorf("saving %s: %w", w.Path(LastWeightsFile), err))
	}
	if err := os.Rename(optim, w.Path(LastOptimFile)); err != nil {
		return discard(fmt.Errorf("saving %s: %w", w.Path(LastOptimFile), err))
	}
	return nil
}

// resumeTag names the point a resume checkpoint was taken at; both files of
// the pair carry it, so a pair torn by a crash between the two writes is
// recognised.
func resumeTag(st train.FitState) string {
	return fmt.Sprintf("epoch %d step %d", st.Epoch, st.Partial.Steps)
}

func weightsTag(path string) string {
	_, f, err := resnet.InspectWeights(path)
	if err != nil || f == nil {
		return "unreadable"
	}
	return f.Metadata["resume_tag"]
}

func (r *Runner) launch(ctx context.Context, w *RunWriter, p *prepared, resume *train.FitState, notes []string) *Session {
	spec := w.Meta.Spec
	inner := make(chan train.Event, 64)
	outer := make(chan train.Event, 64)
	s := &Session{ID: w.ID, Dir: w.Dir, Events: outer, Meta: w.Meta, Notes: notes, done: make(chan struct{})}
	var early *train.EarlyStopping
	if spec.Patience > 0 {
		early = &train.EarlyStopping{Monitor: train.Monitor{Metric: spec.Monitor, MinDelta: spec.MinDelta}, Patience: spec.Patience}
	}
	var plateau *train.ReduceLROnPlateau
	if spec.PlateauFactor > 0 {
		plateau = &train.ReduceLROnPlateau{Monitor: train.Monitor{Metric: spec.Monitor}, Patience: max(spec.PlateauWait, 1),
			Factor: spec.PlateauFactor, MinLR: spec.LR / 1000}
	}
	var mu sync.Mutex // guards w.Status between hooks and the final write
	model := p.model
	hooks := train.Hooks{
		Epoch: func(m train.EpochMetrics, preds []train.ValPrediction) error {
			mu.Lock()
			defer mu.Unlock()
			if err := w.SaveLastPredictions(preds); err != nil {
				return err
			}
			if err := w.AppendMetrics(m); err != nil {
				return err
			}
			w.Status.Epochs = m.Epoch
			w.Status.Seconds += m.Seconds
			if rep := p.train.Skipped(); rep.Count > 0 {
				w.Status.Skipped, w.Status.SkippedNote = rep.Count, rep.String()
			}
			return w.SaveStatus()
		},
		Best: func(m train.EpochMetrics, preds []train.ValPrediction) error {
			mu.Lock()
			defer mu.Unlock()
			if err := model.SaveWeights(w.Path(BestWeightsFile)); err != nil {
				return err
			}
			if err := w.SavePredictions(preds); err != nil {
				return err
			}
			best := m
			w.Status.BestEpoch, w.Status.Best = m.Epoch, &best
			return w.SaveStatus()
		},
		Last: func(st train.FitState) error { return saveResumePair(w, model, st) },
		// A time budget's plan is the run's epochs from now on (a resume
		// continues it).
		Planned: func(epochs int) error {
			mu.Lock()
			defer mu.Unlock()
			w.Meta.Spec.Epochs = epochs
			return w.SaveMeta()
		},
	}
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for e := range inner {
			if _, done := e.(train.DoneEvent); done {
				continue // re-sent below, once the status is on disk
			}
			outer <- e
		}
	}()
	go func() {
		defer close(s.done)
		defer close(outer)
		sched, _ := spec.LRSchedule() // validated before the run started
		res, err := train.Fit(ctx, model, loaderSource{p.train}, loaderSource{p.valid}, train.FitOptions{
			Epochs: spec.Epochs, LR: spec.LR, Schedule: sched, Checkpoint: spec.Monitor, BudgetSeconds: spec.BudgetSeconds,
			Early: early, Plateau: plateau, Hooks: hooks, Events: inner, Resume: resume,
			Recalibrate: p.recalibrateSource(), RecalibrateBatches: spec.RecalibrateBN,
		})
		<-forwarded // Fit closed inner; the forwarder has passed on the rest
		mu.Lock()
		w.Status.State = State(res.Status)
		if err != nil && !errors.Is(err, context.Canceled) {
			w.Status.Error = OneLine(err.Error())
		}
		serr := w.SaveStatus()
		mu.Unlock()
		w.Close()
		model.Close()
		if serr != nil {
			err = errors.Join(err, serr)
		}
		r.logger().Info("run ended", "run", w.ID, "status", res.Status, "error", err)
		s.result, s.err = res, err
		outer <- train.DoneEvent{Status: res.Status, Err: err, Best: res.Best, History: res.History}
	}()
	return s
}

// OneLine folds a message onto one line (newlines and runs of spaces become
// single spaces): how status.json records an error, and how every screen
// and command shows one.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
