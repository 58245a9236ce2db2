package augment

import (
	"fmt"
	"strings"
)

// Normalization says how 8-bit RGB pixels become the float32 values the
// network sees. The zero value is NormImageNet, the convention of the
// torchvision and timm weights that reslab loads.
//
// Channel order: every mode except NormCaffeBGR writes channels in RGB
// order. Keras's "caffe" preprocessing also swaps RGB to BGR, because the
// original Caffe ResNet weights were trained on BGR images. reslab's
// backbones use torchvision's layout and are trained (or were pretrained)
// on RGB, so NormCaffe keeps RGB and only subtracts the per-channel ImageNet
// mean, in 0..255 units. NormCaffeBGR reproduces Keras exactly (BGR order,
// BGR means) for weights converted from Keras/Caffe. Training and
// prediction take the same Normalization value from the run's spec, so the
// layout is always the same on both sides.
type Normalization int

const (
	// NormImageNet scales to 0..1 then standardises with the ImageNet
	// mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), RGB.
	NormImageNet Normalization = iota
	// NormCaffe subtracts the ImageNet mean in 0..255 units
	// (123.68, 116.779, 103.939), RGB order, no scaling.
	NormCaffe
	// NormCaffeBGR is Keras's caffe mode exactly: channels reordered to
	// BGR, then the BGR mean (103.939, 116.779, 123.68) subtracted.
	NormCaffeBGR
	// NormNone scales to 0..1, RGB.
	NormNone
)

// normNames lists the accepted names, in the order shown to users.
var normNames = [...]string{
	NormImageNet: "imagenet",
	NormCaffe:    "caffe",
	NormCaffeBGR: "caffe-bgr",
	NormNone:     "none",
}

// String returns the name ParseNormalization accepts.
func (n Normalization) String() string {
	if n >= 0 && int(n) < len(normNames) {
		return normNames[n]
	}
	return fmt.Sprintf("Normalization(%d)", int(n))
}

// ParseNormalization reads a normalisation name: "imagenet", "caffe",
// "caffe-bgr" or "none" (case-insensitive).
func ParseNormalization(s string) (Normalization, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, name := range normNames {
		if t == name {
			return Normalization(i), nil
		}
	}
	return 0, fmt.Errorf("unknown normalisation %q: want one of %s", s, strings.Join(normNames[:], ", "))
}

// MarshalText lets a Normalization appear by name in JSON specs.
func (n Normalization) MarshalText() ([]byte, error) {
	if n < 0 || int(n) >= len(normNames) {
		return nil, fmt.Errorf("invalid normalisation %d", int(n))
	}
	return []byte(n.String()), nil
}

// UnmarshalText parses a name written by MarshalText.
func (n *Normalization) UnmarshalText(b []byte) error {
	v, err := ParseNormalization(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// pixelMap is a Normalization compiled into per-output-channel constants:
// out[c] = in[src[c]]*scale[c] + bias[c], where in is in 0..255.
type pixelMap struct {
	src   [3]int
	scale [3]float32
	bias  [3]float32
}

var (
	imagenetMean = [3]float64{0.485, 0.456, 0.406}
	imagenetStd  = [3]float64{0.229, 0.224, 0.225}
	caffeMeanRGB = [3]float64{123.68, 116.779, 103.939}
)

// pixelMap compiles n. It panics on an invalid value, which can only come
// from a programming error since ParseNormalization validates names.
func (n Normalization) pixelMap() pixelMap {
	var m pixelMap
	m.src = [3]int{0, 1, 2}
	switch n {
	case NormImageNet:
		for c := range 3 {
			m.scale[c] = float32(1 / (255 * imagenetStd[c]))
			m.bias[c] = float32(-imagenetMean[c] / imagenetStd[c])
		}
	case NormCaffe:
		for c := range 3 {
			m.scale[c] = 1
			m.bias[c] = float32(-caffeMeanRGB[c])
		}
	case NormCaffeBGR:
		m.src = [3]int{2, 1, 0}
		for c := range 3 {
			m.scale[c] = 1
			m.bias[c] = float32(-caffeMeanRGB[2-c])
		}
	case NormNone:
		for c := range 3 {
			m.scale[c] = 1.0 / 255
		}
	default:
		panic(fmt.Sprintf("augment: invalid Normalization %d", int(n)))
	}
	return m
}

// rawPixelMap leaves values in 0..255, RGB; previews use it to show
// exactly the geometry and colour the network gets before normalising.
func rawPixelMap() pixelMap {
	return pixelMap{src: [3]int{0, 1, 2}, scale: [3]float32{1, 1, 1}}
}

// Valid reports whether n is one of the defined modes.
func (n Normalization) Valid() bool { return n >= 0 && int(n) < len(normNames) }

// Denormalize maps one normalised value of output channel c back to 0..255
// in that channel's colour (R, G, B, or B, G, R for NormCaffeBGR). Useful
// for drawing what the network saw.
func (n Normalization) Denormalize(c int, v float32) float32 {
	m := n.pixelMap()
	return (v - m.bias[c]) / m.scale[c]
}
