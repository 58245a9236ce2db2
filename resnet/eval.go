package resnet

// Inference: the backbone's features (cached for a frozen backbone), the
// head's logits, evaluation with its test-time augmentation, and the
// checks that let evaluation run at another input size than training.

import (
	"context"
	"fmt"
	"math"

	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/train"
)

// features runs the backbone in inference mode and returns a copy of the
// pooled features (N, F).
func (m *Model) features(pixels []float32, size int) ([]float32, error) {
	m.backboneImages += size
	c, err := m.graphAt(graphFeatures, size, imageSide(len(pixels), size))
	if err != nil {
		return nil, err
	}
	if err := c.run(pixels, nil); err != nil {
		return nil, err
	}
	return append([]float32(nil), c.output.Value().Data().([]float32)...), nil
}

// SetFeatureCache makes frozen-mode training reuse each image's backbone
// features after the first epoch. Only correct when training images are
// not augmented: the cache is keyed by image path. Validation features are
// always cached in frozen mode, since the backbone never changes.
func (m *Model) SetFeatureCache(train bool) { m.cacheTrain = train && m.cfg.Mode == ModeFrozen }

// cachedFeatures returns the backbone features of images [lo,hi) of b,
// from the cache when use is set and the batch names its images.
func (m *Model) cachedFeatures(b train.Batch, lo, hi int, use bool) ([]float32, error) {
	pb, named := b.(train.Pather)
	if !use || !named || len(pb.Paths()) != b.Len() {
		return m.features(m.imageSlice(b, lo, hi), hi-lo)
	}
	paths := pb.Paths()[lo:hi]
	width := m.cfg.Features()
	out := make([]float32, 0, (hi-lo)*width)
	for _, p := range paths {
		f, ok := m.featureCache[p]
		if !ok {
			out = nil
			break
		}
		out = append(out, f...)
	}
	if out != nil {
		return out, nil
	}
	feats, err := m.features(m.imageSlice(b, lo, hi), hi-lo)
	if err != nil {
		return nil, err
	}
	if m.featureCache == nil {
		m.featureCache = map[string][]float32{}
	}
	for i, p := range paths {
		m.featureCache[p] = feats[i*width : (i+1)*width : (i+1)*width]
	}
	return feats, nil
}

// Eval runs the batch in inference mode (BatchNorm running statistics, no
// dropout) and returns loss, top-1 hits and probabilities. Labels outside
// [0, Classes) are allowed when only the probabilities are wanted: such
// images count as wrong and add nothing to the loss.
//
// With flip test-time augmentation on (SetTTA), each image is also run
// mirrored and the two softmax distributions are averaged; the loss and
// the hits are those of the average.
func (m *Model) Eval(ctx context.Context, b train.Batch) (train.EvalResult, error) {
	n, k := b.Len(), m.cfg.Classes
	logits, err := m.Logits(ctx, b)
	if err != nil {
		return train.EvalResult{}, err
	}
	res := train.EvalResult{Images: n, Probs: make([]float32, n*k)}
	if m.tta != TTAFlip {
		for i, y := range b.Labels() {
			row := logits[i*k : (i+1)*k]
			kernel.Softmax(row, res.Probs[i*k:(i+1)*k])
			if y >= 0 && y < k {
				res.Loss -= (float64(row[y]) - kernel.LogSumExp(row)) / float64(n)
			}
		}
		res.Correct = countCorrect(logits, b.Labels(), k)
		return res, nil
	}
	mirrored := train.SliceBatch{Images: mirror(b.Pixels(), n, imageSide(len(b.Pixels()), n)), Classes: b.Labels()}
	flipped, err := m.Logits(ctx, mirrored)
	if err != nil {
		return train.EvalResult{}, err
	}
	p := make([]float32, k)
	for i := range n {
		row := res.Probs[i*k : (i+1)*k]
		kernel.Softmax(logits[i*k:(i+1)*k], row)
		kernel.Softmax(flipped[i*k:(i+1)*k], p)
		for j := range row {
			row[j] = (row[j] + p[j]) / 2
		}
	}
	for i, y := range b.Labels() {
		if y >= 0 && y < k {
			res.Loss -= math.Log(math.Max(float64(res.Probs[i*k+y]), 1e-30)) / float64(n)
		}
	}
	res.Correct = countCorrect(res.Probs, b.Labels(), k)
	return res, nil
}

// TTA is a test-time augmentation of evaluation and prediction.
type TTA string

// The test-time augmentations: none, or the mean of the image's and its
// mirror image's class probabilities.
const (
	TTANone TTA = ""
	TTAFlip TTA = "flip"
)

// ParseTTA reads none (or "") or flip.
func ParseTTA(s string) (TTA, error) {
	switch s {
	case "", "none":
		return TTANone, nil
	case "flip":
		return TTAFlip, nil
	}
	return "", fmt.Errorf("test-time augmentation %q: want none or flip", s)
}

// SetTTA sets the test-time augmentation of Eval.
func (m *Model) SetTTA(t TTA) { m.tta = t }

// mirror is n CHW images of side size flipped left to right.
func mirror(pixels []float32, n, size int) []float32 {
	out := make([]float32, len(pixels))
	for row := 0; row < n*3*size; row++ {
		src, dst := pixels[row*size:(row+1)*size], out[row*size:(row+1)*size]
		for x := range size {
			dst[x] = src[size-1-x]
		}
	}
	return out
}

// Logits runs the batch in inference mode and returns the raw class scores,
// Len()×Classes, row-major.
//
// With average pooling the images may be of another size than training's
// (an evaluation size, FixRes-style): the backbone runs at their size.
func (m *Model) Logits(ctx context.Context, b train.Batch) ([]float32, error) {
	n := b.Len()
	if err := m.checkEvalBatch(b); err != nil {
		return nil, err
	}
	out := make([]float32, 0, n*m.cfg.Classes)
	lo := 0
	for _, size := range microBatches(n, m.MicroBatch(n)) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := lo + size
		feats, err := m.cachedFeatures(b, lo, hi, m.cfg.Mode == ModeFrozen)
		if err != nil {
			return nil, err
		}
		c, err := m.graph(graphHeadEval, hi-lo)
		if err != nil {
			return nil, err
		}
		if err := c.run(feats, nil); err != nil {
			return nil, err
		}
		out = append(out, c.output.Value().Data().([]float32)...)
		lo = hi
	}
	return out, nil
}

// imageSide is the side of n square RGB images held in values floats.
func imageSide(values, n int) int {
	if n <= 0 {
		return 0
	}
	return int(math.Round(math.Sqrt(float64(values) / float64(3*n))))
}

// checkEvalBatch is checkBatch for inference, which takes any square size
// from 32 to 1024 pixels when the head pools (a flatten head is fixed to
// the training size).
func (m *Model) checkEvalBatch(b train.Batch) error {
	side := imageSide(len(b.Pixels()), b.Len())
	if m.cfg.Pooling != PoolAvg || side < 32 || side > 1024 {
		side = m.cfg.InputSize
	}
	return checkBatchAt(b, side)
}

// countCorrect counts rows whose largest logit is at the label.
func countCorrect(logits []float32, labels []int, k int) int {
	n := 0
	for i, y := range labels {
		if argmax(logits[i*k:(i+1)*k]) == y {
			n++
		}
	}
	return n
}

func argmax(xs []float32) int {
	best := 0
	for i, v := range xs {
		if v > xs[best] {
			best = i
		}
	}
	return best
}
