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
// With test-time augmentation on (SetTTA), each image is also run as the
// augmentation's other views (its mirror image; five crops; or both) and
// the softmax distributions of all views are averaged; the loss and the
// hits are those of the average.
func (m *Model) Eval(ctx context.Context, b train.Batch) (train.EvalResult, error) {
	n, k := b.Len(), m.cfg.Classes
	logits, err := m.Logits(ctx, b)
	if err != nil {
		return train.EvalResult{}, err
	}
	res := train.EvalResult{Images: n, Probs: make([]float32, n*k)}
	if m.tta == TTANone {
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
	views := m.tta.views(b.Pixels(), n, imageSide(len(b.Pixels()), n))
	p := make([]float32, k)
	add := func(logits []float32) {
		for i := range n {
			kernel.Softmax(logits[i*k:(i+1)*k], p)
			row := res.Probs[i*k : (i+1)*k]
			for j := range row {
				row[j] += p[j]
			}
		}
	}
	add(logits)
	for _, v := range views {
		l, err := m.Logits(ctx, train.SliceBatch{Images: v, Classes: b.Labels()})
		if err != nil {
			return train.EvalResult{}, err
		}
		add(l)
	}
	count := float32(len(views) + 1)
	for i := range res.Probs {
		res.Probs[i] /= count
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

// The test-time augmentations: none; the mean of the image's and its
// mirror image's class probabilities; the mean over the image and five
// crops (torchvision's FiveCrop: the centre and the four corners, each
// cropFraction of the side, resized back to the input size bilinearly); or
// the image and the crops each with its mirror (12 views).
const (
	TTANone      TTA = ""
	TTAFlip      TTA = "flip"
	TTACrops     TTA = "crops"
	TTACropsFlip TTA = "crops-flip"
)

// cropFraction is the side of a multi-crop view against the image's: the
// 87.5 % of the usual 224-of-256 evaluation crop.
const cropFraction = 0.875

// ParseTTA reads none (or ""), flip, crops or crops-flip.
func ParseTTA(s string) (TTA, error) {
	switch s {
	case "", "none":
		return TTANone, nil
	case "flip", "crops", "crops-flip":
		return TTA(s), nil
	}
	return "", fmt.Errorf("test-time augmentation %q: want none, flip, crops or crops-flip", s)
}

// SetTTA sets the test-time augmentation of Eval.
func (m *Model) SetTTA(t TTA) { m.tta = t }

// views are the batch's other views under t (n CHW images of side size):
// the mirror images, the five crops, or the crops and all their mirrors.
func (t TTA) views(pixels []float32, n, size int) [][]float32 {
	var out [][]float32
	if t == TTACrops || t == TTACropsFlip {
		side := max(1, int(math.Round(cropFraction*float64(size))))
		for _, corner := range fiveCrops(size, side) {
			out = append(out, resizeBilinear(crop(pixels, n, size, corner[0], corner[1], side), n, side, size))
		}
	}
	if t == TTAFlip || t == TTACropsFlip {
		mirrors := [][]float32{mirror(pixels, n, size)}
		for _, v := range out {
			mirrors = append(mirrors, mirror(v, n, size))
		}
		out = append(out, mirrors...)
	}
	return out
}

// fiveCrops are the top-left corners (row, column) of torchvision's
// FiveCrop of side c in an s×s image: the four corners, then the centre
// (rounded half to even, as torchvision's CenterCrop rounds with Python's round).
func fiveCrops(s, c int) [][2]int {
	mid := int(math.RoundToEven(float64(s-c) / 2))
	return [][2]int{{0, 0}, {0, s - c}, {s - c, 0}, {s - c, s - c}, {mid, mid}}
}

// crop cuts the side×side window at (top, left) out of n CHW images of
// side size.
func crop(pixels []float32, n, size, top, left, side int) []float32 {
	out := make([]float32, n*3*side*side)
	for plane := 0; plane < n*3; plane++ {
		src, dst := pixels[plane*size*size:], out[plane*side*side:]
		for r := 0; r < side; r++ {
			copy(dst[r*side:(r+1)*side], src[(top+r)*size+left:])
		}
	}
	return out
}

// resizeBilinear resizes n CHW images of side from to side to with
// bilinear interpolation, half-pixel centres (PyTorch's align_corners=False,
// the edges clamped), as torchvision's Resize does when enlarging.
func resizeBilinear(pixels []float32, n, from, to int) []float32 {
	if from == to {
		return pixels
	}
	scale := float64(from) / float64(to)
	idx := make([]int, 2*to)
	frac := make([]float32, to)
	for d := 0; d < to; d++ {
		src := max((float64(d)+0.5)*scale-0.5, 0)
		i0 := min(int(src), from-1)
		idx[2*d], idx[2*d+1] = i0, min(i0+1, from-1)
		frac[d] = float32(src - float64(i0))
	}
	out := make([]float32, n*3*to*to)
	for plane := 0; plane < n*3; plane++ {
		src, dst := pixels[plane*from*from:(plane+1)*from*from], out[plane*to*to:(plane+1)*to*to]
		for y := 0; y < to; y++ {
			r0, r1, fy := src[idx[2*y]*from:], src[idx[2*y+1]*from:], frac[y]
			for x := 0; x < to; x++ {
				c0, c1, fx := idx[2*x], idx[2*x+1], frac[x]
				top := r0[c0] + (r0[c1]-r0[c0])*fx
				bottom := r1[c0] + (r1[c1]-r1[c0])*fx
				dst[y*to+x] = top + (bottom-top)*fy
			}
		}
	}
	return out
}

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
