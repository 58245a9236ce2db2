package augment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Loader defaults.
const (
	DefaultSize       = 224
	DefaultBatchSize  = 32
	DefaultPrefetch   = 3
	DefaultCacheBytes = 1 << 30 // 1 GiB: flowers10 train at 224 px needs ~140 MiB
	maxSkipExamples   = 5
)

// LoaderOptions configure a Loader. Zero values take the defaults.
type LoaderOptions struct {
	// Size is the side of the square images produced (default 224).
	Size int
	// BatchSize is the number of images per batch (default 32); the last
	// batch of an epoch may be smaller.
	BatchSize int
	// Augment draws a random transform per image and epoch; the zero
	// value means none, as for validation and test.
	Augment Params
	// Shuffle visits images in a new seeded order every epoch (training);
	// otherwise they come in split order.
	Shuffle bool
	// Norm is the normalisation (the zero value is ImageNet).
	Norm Normalization
	// Seed makes shuffles and augmentations reproducible.
	Seed int64
	// Workers decode and augment in parallel (default GOMAXPROCS).
	Workers int
	// Prefetch is how many batches are prepared ahead of the consumer
	// (default 3).
	Prefetch int
	// CacheBytes bounds the memory kept for decoded, pre-resized images
	// so later epochs skip decoding (default DefaultCacheBytes; negative
	// disables the cache). The cache fills in visiting order and then
	// stops growing: with shuffled epochs an evicting cache would keep
	// missing, a fixed one keeps a steady share of hits.
	CacheBytes int64
	// OnSkip, if set, is called once per unreadable image, from a worker
	// goroutine, when it is first skipped.
	OnSkip func(SkippedImage)
	// DiskCache, if set, keeps the decoded, pre-resized images on disk for
	// the next loader of the same images and size (another run).
	DiskCache *DiskCache
	// JPEG is the decoder of JPEG files (libjpeg-turbo where the machine
	// has it, unless JPEGGo).
	JPEG JPEGDecoder
}

// SkippedImage is an image the loader could not use.
type SkippedImage struct {
	Path string
	Err  error
}

// SkipReport summarises the unreadable images met so far.
type SkipReport struct {
	// Count is the number of distinct images skipped.
	Count int
	// First lists the first few, in the order they were met.
	First []SkippedImage
}

// add counts an image and names it among the first few.
func (r *SkipReport) add(s SkippedImage) {
	r.Count++
	if len(r.First) < maxSkipExamples {
		r.First = append(r.First, s)
	}
}

// Merge is the report of both, naming the first few of r and then of o.
func (r SkipReport) Merge(o SkipReport) SkipReport {
	out := SkipReport{Count: r.Count + o.Count, First: append([]SkippedImage(nil), r.First...)}
	for _, s := range o.First {
		if len(out.First) < maxSkipExamples {
			out.First = append(out.First, s)
		}
	}
	return out
}

// String is a one-line summary, "" when nothing was skipped.
func (r SkipReport) String() string {
	if r.Count == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d unreadable image(s) skipped:", r.Count)
	for i, s := range r.First {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %v", s.Err)
	}
	if r.Count > len(r.First) {
		fmt.Fprintf(&b, "; and %d more", r.Count-len(r.First))
	}
	return b.String()
}

// CacheStats describe the decoded-image cache.
type CacheStats struct {
	Images int   // images held
	Bytes  int64 // bytes held
	Limit  int64 // byte limit (0 when disabled)
}

// Loader turns a Split into batches: decoding, resizing, augmenting and
// normalising in parallel workers, prefetching ahead of the consumer and
// caching decoded images in memory. It is safe to run one epoch at a
// time; the cache and the skip record carry over between epochs.
type Loader struct {
	split      Split
	opts       LoaderOptions
	pm         pixelMap
	augmenting bool

	cache      []atomic.Pointer[image.NRGBA]
	cacheBytes atomic.Int64
	cacheCount atomic.Int64

	mu      sync.Mutex
	bad     map[int]bool
	skipped SkipReport
	// gate bounds the decoded bytes the workers hold together.
	gate *decodeGate
}

// ErrBadOptions is wrapped by NewLoader for invalid options.
var ErrBadOptions = errors.New("bad loader options")

// NewLoader prepares a loader; nothing is read until the first epoch.
func NewLoader(split Split, opts LoaderOptions) (*Loader, error) {
	if opts.Size == 0 {
		opts.Size = DefaultSize
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Prefetch == 0 {
		opts.Prefetch = DefaultPrefetch
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	var errs []error
	if opts.Size < 0 || opts.BatchSize < 0 || opts.Workers < 0 || opts.Prefetch < 0 {
		errs = append(errs, fmt.Errorf("%w: size %d, batch size %d, workers %d and prefetch %d must be positive",
			ErrBadOptions, opts.Size, opts.BatchSize, opts.Workers, opts.Prefetch))
	}
	if !opts.Norm.Valid() {
		errs = append(errs, fmt.Errorf("%w: invalid normalisation %d", ErrBadOptions, int(opts.Norm)))
	}
	if err := opts.Augment.Validate(); err != nil {
		errs = append(errs, err)
	}
	for i, s := range split.Samples {
		if s.Label < 0 || s.Label >= len(split.Classes) {
			errs = append(errs, fmt.Errorf("%w: sample %d (%s) has label %d, split has %d classes",
				ErrBadOptions, i, s.Path, s.Label, len(split.Classes)))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new loader for %s split: %w", split.Name, err)
	}
	return &Loader{
		split:      split,
		opts:       opts,
		pm:         opts.Norm.pixelMap(),
		augmenting: opts.Augment.Enabled(),
		cache:      make([]atomic.Pointer[image.NRGBA], len(split.Samples)),
		bad:        map[int]bool{},
		gate:       newDecodeGate(defaultDecodeAllowance),
	}, nil
}

// Options returns the options with defaults filled in.
func (l *Loader) Options() LoaderOptions { return l.opts }

// Split returns the split the loader reads.
func (l *Loader) Split() Split { return l.split }

// Len is the number of images per epoch (before skips).
func (l *Loader) Len() int { return len(l.split.Samples) }

// NumBatches is the number of batches per epoch, the last one partial
// (fewer if whole batches turn out unreadable).
func (l *Loader) NumBatches() int {
	return (len(l.split.Samples) + l.opts.BatchSize - 1) / l.opts.BatchSize
}

// Order returns the sample indices in the order epoch visits them: a
// seeded permutation when shuffling, else 0, 1, 2, ….
func (l *Loader) Order(epoch int) []int {
	n := len(l.split.Samples)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if l.opts.Shuffle {
		r := newRand(saltShuffle, uint64(l.opts.Seed), uint64(epoch))
		r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// Transform returns the augmentation that epoch applies to sample index
// (the identity when not augmenting).
func (l *Loader) Transform(epoch, index int) Transform {
	if !l.augmenting {
		return Identity()
	}
	return l.opts.Augment.Sample(ImageRand(l.opts.Seed, epoch, index))
}

// Skipped reports the unreadable images met so far. Each is counted once
// however many epochs meet it.
func (l *Loader) Skipped() SkipReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.skipped
	r.First = append([]SkippedImage(nil), r.First...)
	return r
}

// CacheStats reports the decoded-image cache's content.
func (l *Loader) CacheStats() CacheStats {
	lim := l.opts.CacheBytes
	if lim < 0 {
		lim = 0
	}
	return CacheStats{Images: int(l.cacheCount.Load()), Bytes: l.cacheBytes.Load(), Limit: lim}
}

// image returns sample i decoded and pre-resized, from the cache when it
// is there.
func (l *Loader) image(i int) (*image.NRGBA, error) {
	if img := l.cache[i].Load(); img != nil {
		return img, nil
	}
	l.mu.Lock()
	bad := l.bad[i]
	l.mu.Unlock()
	if bad {
		return nil, errSkipped
	}
	s := l.split.Samples[i]
	img, err := l.prepared(s)
	if err != nil {
		l.skip(i, err)
		return nil, err
	}
	if l.opts.CacheBytes > 0 {
		n := int64(len(img.Pix))
		if l.cacheBytes.Add(n) <= l.opts.CacheBytes {
			if img == s.Image {
				// Never let later changes to the caller's image leak in.
				img = cloneNRGBA(img)
			}
			l.cache[i].Store(img)
			l.cacheCount.Add(1)
		} else {
			l.cacheBytes.Add(-n)
		}
	}
	return img, nil
}

// prepared is sample s decoded and pre-resized, from the disk cache when
// it holds it (and then into it).
func (l *Loader) prepared(s Sample) (*image.NRGBA, error) {
	scale := cacheScale(l.opts.Augment)
	if s.Image != nil {
		return prepareScaled(s.Image, l.opts.Size, l.augmenting, scale), nil
	}
	dc := l.opts.DiskCache
	key, keyed := "", false
	if dc != nil {
		key, keyed = dc.key(s.Path, l.opts.Size, l.augmenting, scale, l.opts.JPEG)
		if keyed {
			if img := dc.load(key); img != nil {
				return img, nil
			}
		}
	}
	minSide := preparedSide(l.opts.Size, l.augmenting, scale)
	if l.augmenting {
		minSide = int(math.Ceil(reducedDecodeSlack * float64(minSide)))
	}
	raw, release, err := l.decode(s.Path, minSide)
	if err != nil {
		return nil, err
	}
	img := prepareScaled(raw, l.opts.Size, l.augmenting, scale)
	release()
	if keyed {
		dc.store(key, img) // best effort: a full disk only costs the next run a decode
	}
	return img, nil
}

// decode loads a file, turning a decoder panic (a bug in a codec met by a
// hostile or damaged file) into an error so one image cannot end a run.
// A JPEG decodes at the smallest scale whose shorter side is at least
// minSide. The decoded image's bytes are held against the loader's gate until
// release is called, once the image has been scaled to the training size.
func (l *Loader) decode(path string, minSide int) (img image.Image, release func(), err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("load image %s: decoder panic: %v", path, r)
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load image: %w", err)
	}
	opts := DecodeOptions{MaxSide: 4 * l.opts.Size, MinSide: minSide, JPEG: l.opts.JPEG}
	cfg, format, err := header(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, fmt.Errorf("load image %s: %w", path, err)
	}
	held := l.gate.acquire(decodedBytes(cfg))
	release = func() { l.gate.release(held) }
	if img, err = decodeChecked(data, format, cfg, opts); err != nil {
		release()
		return nil, nil, fmt.Errorf("load image %s: %w", path, err)
	}
	return img, release, nil
}

// reducedDecodeSlack is how far under an augmenting loader's prepared side
// a reduced JPEG decode may land. That side's margin over the training size
// (CacheScale, CropCacheScale) is a rule of thumb for how far the warp may
// zoom in, so an image a few per cent smaller is kept as it is (as small
// images always were) rather than decoded at twice the scale: a 500-pixel
// photograph at 1/2 is 250 pixels against the 256 that 128-pixel random
// crops ask for.
const reducedDecodeSlack = 0.9

// errSkipped marks an image already recorded as unreadable.
var errSkipped = errors.New("image skipped earlier")

func (l *Loader) skip(i int, err error) {
	l.mu.Lock()
	if l.bad[i] {
		l.mu.Unlock()
		return
	}
	l.bad[i] = true
	s := SkippedImage{Path: l.split.Samples[i].Path, Err: err}
	l.skipped.add(s)
	l.mu.Unlock()
	if l.opts.OnSkip != nil {
		l.opts.OnSkip(s)
	}
}

func cloneNRGBA(img *image.NRGBA) *image.NRGBA {
	c := *img
	c.Pix = append([]uint8(nil), img.Pix...)
	return &c
}

// Batch is one mini-batch: images as normalised float32 NCHW with 3
// channels, a class index per image, and where each image came from. It
// satisfies train.Batch.
type Batch struct {
	epoch, index int
	size         int
	pixels       []float32
	labels       []int
	paths        []string
	samples      []int
}

// Len is the number of images.
func (b *Batch) Len() int { return len(b.labels) }

// Pixels are Len()×3×Size()×Size() normalised values, NCHW.
func (b *Batch) Pixels() []float32 { return b.pixels }

// Labels holds the class index of each image.
func (b *Batch) Labels() []int { return b.labels }

// Paths holds each image's file (or in-memory name), so predictions can
// be saved per image.
func (b *Batch) Paths() []string { return b.paths }

// Samples holds each image's index in the split.
func (b *Batch) Samples() []int { return b.samples }

// Size is the image side in pixels.
func (b *Batch) Size() int { return b.size }

// Epoch is the epoch the batch belongs to.
func (b *Batch) Epoch() int { return b.epoch }

// Index is the batch's position in its epoch, from 0.
func (b *Batch) Index() int { return b.index }

// pending is a batch being filled by workers.
type pending struct {
	batch     *Batch
	ok        []bool
	remaining atomic.Int32
	done      chan struct{}
}

type task struct {
	p    *pending
	slot int
}

// EpochIter delivers one epoch's batches in order. Call Next until it
// returns io.EOF or an error; Close releases the workers early. An
// EpochIter is used by one goroutine.
type EpochIter struct {
	l       *Loader
	ctx     context.Context
	cancel  context.CancelFunc
	parent  context.Context
	pending chan *pending
	wg      sync.WaitGroup
	err     error
}

// Epoch starts reading an epoch in the background and returns its
// iterator. Cancelling ctx stops the workers; Next then returns ctx's
// error. Workers never outlive the iterator: they exit on cancellation,
// Close, or the end of the epoch.
func (l *Loader) Epoch(ctx context.Context, epoch int) *EpochIter {
	return l.EpochFrom(ctx, epoch, 0)
}

// EpochFrom is Epoch starting at batch first (counted from 0): a resumed
// run gets exactly the batches it had not trained on yet, without decoding
// and augmenting the ones before. Batches keep their Index in the epoch.
func (l *Loader) EpochFrom(ctx context.Context, epoch, first int) *EpochIter {
	inner, cancel := context.WithCancel(ctx)
	it := &EpochIter{
		l: l, ctx: inner, cancel: cancel, parent: ctx,
		pending: make(chan *pending, l.opts.Prefetch),
	}
	order := l.Order(epoch)
	bs := l.opts.BatchSize
	tasks := make(chan task, bs)
	it.wg.Add(1 + l.opts.Workers)
	go func() {
		defer it.wg.Done()
		defer close(tasks)
		defer close(it.pending)
		for b, start := max(first, 0), max(first, 0)*bs; start < len(order); b, start = b+1, start+bs {
			idx := order[start:min(start+bs, len(order))]
			p := l.newPending(epoch, b, idx)
			select {
			case it.pending <- p:
			case <-inner.Done():
				return
			}
			for j := range idx {
				select {
				case tasks <- task{p, j}:
				case <-inner.Done():
					return
				}
			}
		}
	}()
	for range l.opts.Workers {
		go func() {
			defer it.wg.Done()
			for t := range tasks {
				if inner.Err() == nil {
					t.p.ok[t.slot] = l.fill(t.p.batch, t.slot, epoch)
				}
				if t.p.remaining.Add(-1) == 0 {
					close(t.p.done)
				}
			}
		}()
	}
	return it
}

func (l *Loader) newPending(epoch, index int, idx []int) *pending {
	n, s := len(idx), l.opts.Size
	b := &Batch{
		epoch: epoch, index: index, size: s,
		pixels:  make([]float32, n*3*s*s),
		labels:  make([]int, n),
		paths:   make([]string, n),
		samples: append([]int(nil), idx...),
	}
	for j, i := range idx {
		b.labels[j] = l.split.Samples[i].Label
		b.paths[j] = l.split.Samples[i].Path
	}
	p := &pending{batch: b, ok: make([]bool, n), done: make(chan struct{})}
	p.remaining.Store(int32(n))
	return p
}

// fill writes image slot of b; false when the image is unreadable.
func (l *Loader) fill(b *Batch, slot, epoch int) bool {
	i := b.samples[slot]
	img, err := l.image(i)
	if err != nil {
		return false
	}
	s := l.opts.Size
	per := 3 * s * s
	applyInto(b.pixels[slot*per:(slot+1)*per], img, s, l.Transform(epoch, i), l.pm)
	return true
}

// Next returns the next batch, io.EOF after the last one, or the
// context's error once it is cancelled. Batches whose images were all
// unreadable are left out; unreadable images are dropped from their batch.
func (it *EpochIter) Next() (*Batch, error) {
	for it.err == nil {
		var p *pending
		var ok bool
		select {
		case p, ok = <-it.pending:
		case <-it.ctx.Done():
		}
		if !ok {
			it.finish()
			break
		}
		select {
		case <-p.done:
		case <-it.ctx.Done():
			it.finish()
			continue
		}
		if it.ctx.Err() != nil {
			it.finish()
			continue
		}
		if b := compact(p); b.Len() > 0 {
			return b, nil
		}
	}
	return nil, it.err
}

// finish stops the workers and settles the error Next reports.
func (it *EpochIter) finish() {
	if it.err != nil {
		return
	}
	if err := it.parent.Err(); err != nil {
		it.err = err
	} else {
		it.err = io.EOF
	}
	it.cancel()
	it.wg.Wait()
}

// Close stops the epoch early and waits for its workers; further Next
// calls return io.EOF (or the context's error if it was cancelled first).
// Calling Close after the end is harmless.
func (it *EpochIter) Close() {
	if it.err == nil {
		it.err = io.EOF
		if err := it.parent.Err(); err != nil {
			it.err = err
		}
	}
	it.cancel()
	it.wg.Wait()
}

// compact drops the slots of unreadable images.
func compact(p *pending) *Batch {
	b := p.batch
	per := 3 * b.size * b.size
	k := 0
	for j, ok := range p.ok {
		if !ok {
			continue
		}
		if k != j {
			copy(b.pixels[k*per:(k+1)*per], b.pixels[j*per:(j+1)*per])
			b.labels[k], b.paths[k], b.samples[k] = b.labels[j], b.paths[j], b.samples[j]
		}
		k++
	}
	b.pixels, b.labels, b.paths, b.samples = b.pixels[:k*per], b.labels[:k], b.paths[:k], b.samples[:k]
	return b
}
