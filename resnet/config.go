package resnet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/reslab/reslab/internal/setting"
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
	Hidden  Head
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

// MaxClasses bounds the classifier's outputs, well above ImageNet-21k's
// 21 841: a class count read from a file beyond it is damage, not a model.
const MaxClasses = 100000

// ErrConfig marks an invalid configuration.
var ErrConfig = errors.New("invalid model configuration")

// Validate reports every problem with c, each saying what is allowed and
// naming its field (setting.Name: depth, width, input_size, classes, pooling,
// hidden, dropout, mode).
func (c Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, setting.Errorf(name, ErrConfig, format, args...))
	}
	if _, ok := stageBlocks[c.Depth]; !ok {
		bad("depth", "depth %d: want one of 18, 34, 50, 101", c.Depth)
	}
	if c.Width < 1 || c.Width > 256 {
		bad("width", "width %d: want 1 to 256 (64 is torchvision's)", c.Width)
	}
	if c.InputSize < 32 || c.InputSize > 1024 {
		bad("input_size", "input size %d: want 32 to 1024 pixels", c.InputSize)
	}
	if c.Classes < 2 || c.Classes > MaxClasses {
		bad("classes", "classes %d: want 2 to %d", c.Classes, MaxClasses)
	}
	if c.Pooling != PoolAvg && c.Pooling != PoolFlatten {
		bad("pooling", "pooling %q: want avg or flatten", c.Pooling)
	}
	for _, h := range c.Hidden {
		if h < 1 || h > 65536 {
			bad("hidden", "head hidden size %d: want 1 to 65536", h)
		}
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		bad("dropout", "dropout %v: want 0 <= dropout < 1", c.Dropout)
	}
	switch c.Mode {
	case ModeScratch, ModeFinetune, ModeFrozen:
	default:
		bad("mode", "mode %q: want scratch, finetune or frozen", c.Mode)
	}
	return errors.Join(errs...)
}

// Arch is the torchvision name of the depth, such as "resnet50".
func (c Config) Arch() string { return Arch(c.Depth).String() }

// Arch is a ResNet depth as torchvision names it. Its text form
// ("resnet50") is what spec.json, flags and forms hold; ParseArch also reads
// "50" and "r50". The zero value is no architecture and fails Valid.
type Arch int

// ParseArch turns "resnet50" (or "50", "r50") into an architecture.
func ParseArch(s string) (Arch, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "resnet"), "r")
	d, err := strconv.Atoi(t)
	if err == nil {
		if _, ok := stageBlocks[d]; ok {
			return Arch(d), nil
		}
	}
	return 0, fmt.Errorf("%w: architecture %q: want resnet18, resnet34, resnet50 or resnet101", ErrConfig, s)
}

// Depth is the number of layers, such as 50.
func (a Arch) Depth() int { return int(a) }

// Valid says whether reslab builds this depth.
func (a Arch) Valid() bool {
	_, ok := stageBlocks[int(a)]
	return ok
}

func (a Arch) String() string { return fmt.Sprintf("resnet%d", int(a)) }

// Short is the compact name used in run ids and tables, such as "r50".
func (a Arch) Short() string { return fmt.Sprintf("r%d", int(a)) }

// MarshalText writes the torchvision name.
func (a Arch) MarshalText() ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("%w: depth %d: want 18, 34, 50 or 101", ErrConfig, int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads what ParseArch reads.
func (a *Arch) UnmarshalText(b []byte) error {
	v, err := ParseArch(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Head is the head's hidden layer sizes; empty is the linear head (one
// fully connected layer, torchvision's "fc"). Its text form is "512,64" or
// "linear".
type Head []int

// ParseHead reads head hidden sizes such as "512,64"; "linear" (or "") is
// the linear head with no hidden layers.
func ParseHead(s string) (Head, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "linear") {
		return nil, nil
	}
	var sizes Head
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%w: head %q: want comma-separated positive sizes such as 512,64, or linear", ErrConfig, s)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

func (h Head) String() string {
	if len(h) == 0 {
		return "linear"
	}
	parts := make([]string, len(h))
	for i, n := range h {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// MarshalText writes "linear" or the sizes, comma-separated.
func (h Head) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads what ParseHead reads.
func (h *Head) UnmarshalText(b []byte) error {
	v, err := ParseHead(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
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
	_, side := topologyOf(c).last()
	return side
}

// FeatureChannels is the channel count of the backbone's last feature map.
func (c Config) FeatureChannels() int {
	channels, _ := topologyOf(c).last()
	return channels
}

// Features is the length of the vector the head receives.
func (c Config) Features() int {
	if c.Pooling == PoolFlatten {
		s := c.FeatureSize()
		return c.FeatureChannels() * s * s
	}
	return c.FeatureChannels()
}
