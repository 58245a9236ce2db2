package resnet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/reslab/reslab/resnet/kernel"
)

// Mode says which weights train.
type Mode string

// Training modes.
const (
	// ModeScratch trains every weight from a fresh He initialisation.
	ModeScratch Mode = "scratch"
	// ModeFinetune trains every weight, starting from loaded ones.
	ModeFinetune Mode = "finetune"
	// ModeFrozen keeps the backbone fixed (BatchNorm in inference) and
	// trains only the head; the backbone runs in a gradient-free graph.
	ModeFrozen Mode = "frozen"
)

// Pooling says how the backbone's last feature map becomes a vector.
type Pooling string

// Pooling kinds.
const (
	// PoolAvg averages each channel (torchvision's avgpool + flatten).
	PoolAvg Pooling = "avg"
	// PoolFlatten flattens the whole feature map (the reference Keras model).
	PoolFlatten Pooling = "flatten"
)

// Depths lists the ResNet depths reslab builds.
var Depths = []int{18, 34, 50, 101}

// Config describes one network. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	Depth     int     // 18, 34 (BasicBlock) or 50, 101 (Bottleneck)
	Width     int     // channels of the stem and first stage; torchvision uses 64
	InputSize int     // side of the square input image in pixels
	Classes   int     // number of output classes
	Pooling   Pooling // avg or flatten
	// Hidden lists the head's hidden layer sizes. Empty means a linear head:
	// one fully connected layer named "fc", as torchvision has.
	Hidden  []int
	Dropout float64 // rate before each head layer, in [0, 1)
	Mode    Mode
}

// DefaultConfig is the reference recipe's network for the given number of
// classes: ResNet-50 at 224 px, flatten pooling, head 512,64 with dropout 0.4.
func DefaultConfig(classes int) Config {
	return Config{
		Depth: 50, Width: 64, InputSize: 224, Classes: classes,
		Pooling: PoolFlatten, Hidden: []int{512, 64}, Dropout: 0.4, Mode: ModeScratch,
	}
}

// ErrConfig marks an invalid configuration.
var ErrConfig = errors.New("invalid model configuration")

// Validate reports every problem with c, each saying what is allowed.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if _, ok := stageBlocks[c.Depth]; !ok {
		bad("depth %d: want one of 18, 34, 50, 101", c.Depth)
	}
	if c.Width < 1 || c.Width > 256 {
		bad("width %d: want 1 to 256 (64 is torchvision's)", c.Width)
	}
	if c.InputSize < 32 || c.InputSize > 1024 {
		bad("input size %d: want 32 to 1024 pixels", c.InputSize)
	}
	if c.Classes < 2 {
		bad("classes %d: want at least 2", c.Classes)
	}
	if c.Pooling != PoolAvg && c.Pooling != PoolFlatten {
		bad("pooling %q: want avg or flatten", c.Pooling)
	}
	for _, h := range c.Hidden {
		if h < 1 || h > 65536 {
			bad("head hidden size %d: want 1 to 65536", h)
		}
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		bad("dropout %v: want 0 <= dropout < 1", c.Dropout)
	}
	switch c.Mode {
	case ModeScratch, ModeFinetune, ModeFrozen:
	default:
		bad("mode %q: want scratch, finetune or frozen", c.Mode)
	}
	return errors.Join(errs...)
}

// Arch is the torchvision name of the depth, such as "resnet50".
func (c Config) Arch() string { return fmt.Sprintf("resnet%d", c.Depth) }

// ParseArch turns "resnet50" (or "50", "r50") into a depth.
func ParseArch(s string) (int, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(s), "resnet"), "r")
	d, err := strconv.Atoi(t)
	if err == nil {
		if _, ok := stageBlocks[d]; ok {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w: architecture %q: want resnet18, resnet34, resnet50 or resnet101", ErrConfig, s)
}

// ParseHead reads head hidden sizes such as "512,64"; "linear" (or "") is
// the linear head with no hidden layers.
func ParseHead(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "linear") {
		return nil, nil
	}
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%w: head %q: want comma-separated positive sizes such as 512,64, or linear", ErrConfig, s)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// HeadString is the inverse of ParseHead.
func HeadString(hidden []int) string {
	if len(hidden) == 0 {
		return "linear"
	}
	parts := make([]string, len(hidden))
	for i, h := range hidden {
		parts[i] = strconv.Itoa(h)
	}
	return strings.Join(parts, ",")
}

// stageBlocks is the number of residual blocks in each of the four stages.
var stageBlocks = map[int][4]int{
	18:  {2, 2, 2, 2},
	34:  {3, 4, 6, 3},
	50:  {3, 4, 6, 3},
	101: {3, 4, 23, 3},
}

// bottleneck says whether a depth uses Bottleneck blocks (expansion 4).
func bottleneck(depth int) bool { return depth >= 50 }

// FeatureSize is the spatial side of the backbone's last feature map.
func (c Config) FeatureSize() int {
	s := kernel.OutSide(c.InputSize, 7, 2, 3) // stem conv
	s = kernel.OutSide(s, 3, 2, 1)            // max-pool
	for stage := 1; stage < 4; stage++ {
		s = kernel.OutSide(s, 3, 2, 1) // first block of stages 2–4 strides by 2
	}
	return s
}

// FeatureChannels is the channel count of the backbone's last feature map.
func (c Config) FeatureChannels() int {
	if bottleneck(c.Depth) {
		return 8 * c.Width * 4
	}
	return 8 * c.Width
}

// Features is the length of the vector the head receives.
func (c Config) Features() int {
	if c.Pooling == PoolFlatten {
		s := c.FeatureSize()
		return c.FeatureChannels() * s * s
	}
	return c.FeatureChannels()
}
