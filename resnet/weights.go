package resnet

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/reslab/reslab/internal/atomicfile"
	"github.com/reslab/reslab/internal/safetensors"
)

// ErrWeights marks weights that do not fit the model.
var ErrWeights = errors.New("weights do not fit the model")

// Tensors returns every tensor of the model under its torchvision/timm name,
// in torchvision's order: learnable weights (fully connected weights
// transposed back to (out, in)), BatchNorm running statistics and
// num_batches_tracked.
func (m *Model) Tensors() []safetensors.Tensor {
	bnByGamma := map[*Param]*bnLayer{}
	for _, bn := range m.net.bns {
		bnByGamma[bn.beta] = bn
	}
	var out []safetensors.Tensor
	for _, p := range m.net.params {
		out = append(out, p.torchTensor())
		if bn := bnByGamma[p]; bn != nil { // after "<bn>.bias", as torchvision orders them
			c := len(bn.RunningMean)
			out = append(out,
				safetensors.F32(bn.Name+".running_mean", []int{c}, bn.RunningMean),
				safetensors.F32(bn.Name+".running_var", []int{c}, bn.RunningVar),
				safetensors.I64(bn.Name+".num_batches_tracked", []int{}, []int64{bn.NumBatches}))
		}
	}
	return out
}

func (p *Param) torchTensor() safetensors.Tensor {
	s := p.Shape()
	if !p.transposed {
		return safetensors.F32(p.Name, s, p.Data())
	}
	in, out := s[0], s[1]
	t := make([]float32, in*out)
	w := p.Data()
	for i := 0; i < in; i++ {
		for o := 0; o < out; o++ {
			t[o*in+i] = w[i*out+o]
		}
	}
	return safetensors.F32(p.Name, []int{out, in}, t)
}

// Metadata describes the model in a weights file, so a mismatch can be
// explained in the user's terms.
func (m *Model) Metadata() map[string]string {
	return map[string]string{
		"format": "reslab", "arch": m.cfg.Arch(), "width": strconv.Itoa(m.cfg.Width),
		"size": strconv.Itoa(m.cfg.InputSize), "classes": strconv.Itoa(m.cfg.Classes),
		"pooling": string(m.cfg.Pooling), "head": m.cfg.Hidden.String(),
	}
}

// SaveWeights writes the model to path atomically (a temporary file in the
// same folder, fsynced, then renamed), so a crash never leaves a half-written
// checkpoint under the final name.
func (m *Model) SaveWeights(path string) error { return m.SaveWeightsTagged(path, nil) }

// SaveWeightsTagged is SaveWeights with extra metadata entries.
func (m *Model) SaveWeightsTagged(path string, extra map[string]string) error {
	meta := m.Metadata()
	for k, v := range extra {
		meta[k] = v
	}
	return atomicfile.Write(path, func(f *os.File) error {
		return safetensors.Write(f, m.Tensors(), meta)
	})
}

// LoadReport says what a load did.
type LoadReport struct {
	Loaded int // tensors copied into the model
	// SkippedHead lists head tensors in the file that were not loaded (a
	// backbone-only load into a model with a new head).
	SkippedHead []string
	// FreshHead lists the model's head tensors the file did not provide; they
	// keep their initial values.
	FreshHead []string
}

// LoadOptions choose how strict a load is.
type LoadOptions struct {
	// BackboneOnly loads the backbone and leaves the head as initialised:
	// how transfer learning starts from a checkpoint with another head.
	BackboneOnly bool
	// CheckOnly verifies that the file fits the model (names, shapes,
	// finite values) and copies nothing: how a run's saved weights are
	// verified before they are needed.
	CheckOnly bool
}

// LoadWeights reads a safetensors file with torchvision/timm names. Every
// name and shape is checked before anything is copied: on a mismatch the
// model is unchanged and the error lists what differs.
func (m *Model) LoadWeights(path string, opts LoadOptions) (LoadReport, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return LoadReport{}, fmt.Errorf("reading weights: %w", err)
	}
	return m.loadFile(path, f, opts)
}

func isHeadTensor(name string) bool {
	return strings.HasPrefix(name, "fc.") || strings.HasPrefix(name, "head.")
}

func (m *Model) loadFile(path string, f *safetensors.File, opts LoadOptions) (LoadReport, error) {
	var rep LoadReport
	want := m.Tensors()
	wanted := map[string]bool{}
	var problems []string
	type copyJob struct {
		dst safetensors.Tensor
		src safetensors.Tensor
	}
	var jobs []copyJob
	for _, t := range want {
		wanted[t.Name] = true
		head := isHeadTensor(t.Name)
		src, ok := f.Get(t.Name)
		switch {
		case head && opts.BackboneOnly:
			rep.FreshHead = append(rep.FreshHead, t.Name)
		case !ok && strings.HasSuffix(t.Name, ".num_batches_tracked"):
			// timm checkpoints often omit it; it only counts steps.
		case !ok:
			problems = append(problems, "missing "+t.Name+" "+shapeString(t.Shape))
		case !equalShapes(src.Shape, t.Shape):
			problems = append(problems, fmt.Sprintf("%s is %s in the file, %s in the model", t.Name, shapeString(src.Shape), shapeString(t.Shape)))
		default:
			jobs = append(jobs, copyJob{dst: t, src: src})
		}
	}
	for _, t := range f.Tensors {
		if wanted[t.Name] {
			continue
		}
		if isHeadTensor(t.Name) && opts.BackboneOnly {
			rep.SkippedHead = append(rep.SkippedHead, t.Name)
			continue
		}
		problems = append(problems, "unexpected "+t.Name+" "+shapeString(t.Shape))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return LoadReport{}, m.mismatchError(path, f, problems)
	}
	values := map[string][]float32{}
	counts := map[string]int64{}
	for _, j := range jobs {
		if j.dst.DType == "I64" {
			v, err := j.src.Int64s()
			if err != nil || len(v) != 1 {
				return LoadReport{}, fmt.Errorf("%w: %s: %s: want one integer", ErrWeights, path, j.src.Name)
			}
			counts[j.src.Name] = v[0]
			continue
		}
		v, err := j.src.Float32s()
		if err != nil {
			return LoadReport{}, fmt.Errorf("%w: %s: %v", ErrWeights, path, err)
		}
		if i := firstNonFinite(v); i >= 0 {
			return LoadReport{}, fmt.Errorf("%w: %s: %s[%d] is %v: the weights are damaged or diverged", ErrWeights, path, j.src.Name, i, v[i])
		}
		values[j.src.Name] = v
	}
	if opts.CheckOnly {
		return LoadReport{Loaded: len(jobs)}, nil
	}
	m.assign(values, counts)
	rep.Loaded = len(jobs)
	return rep, nil
}

// assign copies checked tensors into the model.
func (m *Model) assign(values map[string][]float32, counts map[string]int64) {
	for _, p := range m.net.params {
		v, ok := values[p.Name]
		if !ok {
			continue
		}
		if !p.transposed {
			copy(p.Data(), v)
			continue
		}
		s := p.Shape()
		in, out := s[0], s[1]
		w := p.Data()
		for o := 0; o < out; o++ {
			for i := 0; i < in; i++ {
				w[i*out+o] = v[o*in+i]
			}
		}
	}
	for _, bn := range m.net.bns {
		if v, ok := values[bn.Name+".running_mean"]; ok {
			copy(bn.RunningMean, v)
		}
		if v, ok := values[bn.Name+".running_var"]; ok {
			copy(bn.RunningVar, v)
		}
		if n, ok := counts[bn.Name+".num_batches_tracked"]; ok {
			bn.NumBatches = n
		}
	}
}

// mismatchError explains a failed load in one line: which architecture the
// file seems to hold, and the first few differences.
func (m *Model) mismatchError(path string, f *safetensors.File, problems []string) error {
	hint := ""
	if depth, width, ok := DetectArch(f); ok && (depth != m.cfg.Depth || width != m.cfg.Width) {
		hint = fmt.Sprintf(" (the file holds resnet%d width %d, the model is %s width %d)", depth, width, m.cfg.Arch(), m.cfg.Width)
	} else if ok {
		hint = fmt.Sprintf(" (both are %s width %d: the head differs; --head %s?)", m.cfg.Arch(), m.cfg.Width, fileHead(f))
	}
	shown := problems
	if len(shown) > 4 {
		shown = append(append([]string(nil), shown[:4]...), fmt.Sprintf("and %d more", len(problems)-4))
	}
	return fmt.Errorf("%w: %s%s: %s", ErrWeights, path, hint, strings.Join(shown, "; "))
}

// DetectArch infers the depth and base width of a ResNet checkpoint from its
// tensor names and shapes.
func DetectArch(f *safetensors.File) (depth, width int, ok bool) {
	stem, found := f.Get("conv1.weight")
	if !found || len(stem.Shape) != 4 {
		return 0, 0, false
	}
	width = stem.Shape[0]
	blocks := [4]int{}
	hasConv3 := false
	for _, t := range f.Tensors {
		var stage, blk int
		var rest string
		if n, _ := fmt.Sscanf(t.Name, "layer%d.%d.%s", &stage, &blk, &rest); n == 3 && stage >= 1 && stage <= 4 {
			blocks[stage-1] = max(blocks[stage-1], blk+1)
			if strings.HasPrefix(rest, "conv3.") {
				hasConv3 = true
			}
		}
	}
	for d, layout := range stageBlocks {
		if layout == blocks && bottleneck(d) == hasConv3 {
			return d, width, true
		}
	}
	return 0, width, false
}

// fileHead describes the head a checkpoint holds, as a --head value.
func fileHead(f *safetensors.File) string {
	if _, ok := f.Get("fc.weight"); ok {
		return "linear"
	}
	var sizes []int
	for i := 0; ; i++ {
		t, ok := f.Get(fmt.Sprintf("head.%d.weight", i))
		if !ok || len(t.Shape) != 2 {
			break
		}
		sizes = append(sizes, t.Shape[0])
	}
	if len(sizes) > 1 {
		return Head(sizes[:len(sizes)-1]).String()
	}
	return "linear"
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func equalShapes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// WeightsInfo is what a checkpoint says about the network it holds.
type WeightsInfo struct {
	Depth, Width int
	Classes      int
	Hidden       []int   // nil for a linear head
	Pooling      Pooling // from reslab metadata; "" when the file does not say
	InputSize    int     // from reslab metadata; 0 when the file does not say
}

// InspectWeights reads a checkpoint and infers its architecture, head and
// number of classes from tensor names and shapes (and reslab's metadata
// where present), so a user need not repeat what the file already knows.
func InspectWeights(path string) (WeightsInfo, *safetensors.File, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return WeightsInfo{}, nil, fmt.Errorf("reading weights: %w", err)
	}
	var info WeightsInfo
	var ok bool
	if info.Depth, info.Width, ok = DetectArch(f); !ok {
		return info, f, fmt.Errorf("%w: %s does not hold a ResNet-18/34/50/101 backbone with torchvision names (conv1.weight, layer1.0.conv1.weight, …)", ErrWeights, path)
	}
	info.Hidden, _ = ParseHead(fileHead(f))
	last := "fc.weight"
	if _, isFC := f.Get(last); !isFC {
		last = fmt.Sprintf("head.%d.weight", len(info.Hidden))
	}
	if t, found := f.Get(last); found && len(t.Shape) == 2 {
		info.Classes = t.Shape[0]
	}
	if f.Metadata["format"] == "reslab" {
		info.Pooling = Pooling(f.Metadata["pooling"])
		info.InputSize, _ = strconv.Atoi(f.Metadata["size"])
	}
	return info, f, nil
}

// Load copies a checkpoint already read (see InspectWeights) into the model;
// source names it in errors. See LoadWeights.
func (m *Model) Load(f *safetensors.File, source string, opts LoadOptions) (LoadReport, error) {
	return m.loadFile(source, f, opts)
}
