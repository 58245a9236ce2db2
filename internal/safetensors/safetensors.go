// Package safetensors reads and writes the safetensors format: an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw little-endian data. It is the format
// torchvision and timm checkpoints are exchanged in, and the one reslab's
// runs store weights in.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// Tensor is one named tensor. Data holds the raw little-endian bytes.
type Tensor struct {
	Name  string
	DType string // "F32", "F64", "F16", "BF16", "I64", "I32", …
	Shape []int
	Data  []byte
}

// File is a whole safetensors file.
type File struct {
	Tensors  []Tensor // in data order
	Metadata map[string]string
	byName   map[string]int
}

// ErrFormat marks a file that is not valid safetensors.
var ErrFormat = errors.New("not a valid safetensors file")

// maxHeader bounds the JSON header so a corrupt length cannot exhaust memory.
const maxHeader = 100 << 20

// maxDim bounds one dimension of a tensor (2^31), beyond any real network's.
const maxDim = 1 << 31

var dtypeSize = map[string]int{"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}

type headerEntry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// ReadFile reads a safetensors file from disk.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Decode parses a whole file held in memory. Tensors' Data alias data.
func Decode(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrFormat, len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeader || n > uint64(len(data)-8) {
		return nil, fmt.Errorf("%w: header length %d does not fit the file (%d bytes)", ErrFormat, n, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	body := data[8+n:]
	f := &File{byName: map[string]int{}}
	starts := map[string]int{}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return nil, fmt.Errorf("%w: metadata: %v", ErrFormat, err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("%w: tensor %q: %v", ErrFormat, name, err)
		}
		size, ok := dtypeSize[e.DType]
		if !ok {
			return nil, fmt.Errorf("%w: tensor %q has unknown dtype %q", ErrFormat, name, e.DType)
		}
		// The shape's size in bytes, checked against the body as it grows,
		// so no product can overflow; a dimension beyond maxDim is refused
		// even when another is 0 and the tensor empty.
		bytes := size
		for _, d := range e.Shape {
			if d < 0 || d > maxDim {
				return nil, fmt.Errorf("%w: tensor %q has dimension %d (want 0 to %d)", ErrFormat, name, d, maxDim)
			}
			if d != 0 && bytes > len(body)/d {
				return nil, fmt.Errorf("%w: tensor %q of shape %v %s is larger than the file's %d-byte body", ErrFormat, name, e.Shape, e.DType, len(body))
			}
			bytes *= d
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi > len(body) || hi-lo != bytes {
			return nil, fmt.Errorf("%w: tensor %q: byte range [%d,%d) does not hold %v %s in a %d-byte body", ErrFormat, name, lo, hi, e.Shape, e.DType, len(body))
		}
		f.Tensors = append(f.Tensors, Tensor{Name: name, DType: e.DType, Shape: e.Shape, Data: body[lo:hi:hi]})
		starts[name] = lo
	}
	// Data order; at one offset the empty tensors first, then by name, so
	// the order never depends on the header's (a map's) iteration.
	sort.Slice(f.Tensors, func(i, j int) bool {
		a, b := f.Tensors[i], f.Tensors[j]
		if starts[a.Name] != starts[b.Name] {
			return starts[a.Name] < starts[b.Name]
		}
		if len(a.Data) != len(b.Data) {
			return len(a.Data) < len(b.Data)
		}
		return a.Name < b.Name
	})
	// As the format requires, the tensors tile the body: no overlaps (two
	// tensors aliasing the same bytes) and no holes.
	end := 0
	for _, t := range f.Tensors {
		if lo := starts[t.Name]; lo != end {
			return nil, fmt.Errorf("%w: tensor %q starts at byte %d, want %d: tensors overlap or leave a gap", ErrFormat, t.Name, lo, end)
		}
		end += len(t.Data)
	}
	if end != len(body) {
		return nil, fmt.Errorf("%w: the tensors end at byte %d of a %d-byte body", ErrFormat, end, len(body))
	}
	for i, t := range f.Tensors {
		f.byName[t.Name] = i
	}
	return f, nil
}

// IsFloat says whether the tensor holds floating-point values, which
// Float32s reads.
func (t Tensor) IsFloat() bool {
	switch t.DType {
	case "F64", "F32", "F16", "BF16":
		return true
	}
	return false
}

// Elements is the number of values the tensor holds.
func (t Tensor) Elements() int {
	if size := dtypeSize[t.DType]; size > 0 {
		return len(t.Data) / size
	}
	return 0
}

// Get returns the named tensor.
func (f *File) Get(name string) (Tensor, bool) {
	if f.byName == nil {
		f.byName = map[string]int{}
		for i, t := range f.Tensors {
			f.byName[t.Name] = i
		}
	}
	i, ok := f.byName[name]
	if !ok {
		return Tensor{}, false
	}
	return f.Tensors[i], true
}

// Float32s decodes a floating-point tensor as float32: F32 as it is, F64
// narrowed, F16 and BF16 (half-precision checkpoints) widened exactly.
func (t Tensor) Float32s() ([]float32, error) {
	switch t.DType {
	case "F16":
		out := make([]float32, len(t.Data)/2)
		for i := range out {
			out[i] = halfToFloat32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
		return out, nil
	case "BF16":
		out := make([]float32, len(t.Data)/2)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(t.Data[2*i:])) << 16)
		}
		return out, nil
	case "F32":
		out := make([]float32, len(t.Data)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return out, nil
	case "F64":
		out := make([]float32, len(t.Data)/8)
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("tensor %q is %s: want a floating-point tensor (F32, F64, F16 or BF16)", t.Name, t.DType)
}

// halfToFloat32 widens an IEEE 754 binary16 value: normal, subnormal,
// zero, infinity and NaN alike.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal: rebias 15 → 127
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: value frac·2^-24, exact in float32.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// Int64s decodes an I64 (or I32) tensor.
func (t Tensor) Int64s() ([]int64, error) {
	switch t.DType {
	case "I64":
		out := make([]int64, len(t.Data)/8)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
		}
		return out, nil
	case "I32":
		out := make([]int64, len(t.Data)/4)
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(t.Data[4*i:])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("tensor %q is %s, want I64", t.Name, t.DType)
}

// F32 makes an F32 tensor.
func F32(name string, shape []int, values []float32) Tensor {
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DType: "F32", Shape: append([]int{}, shape...), Data: data}
}

// I64 makes an I64 tensor.
func I64(name string, shape []int, values []int64) Tensor {
	data := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(data[8*i:], uint64(v))
	}
	return Tensor{Name: name, DType: "I64", Shape: append([]int{}, shape...), Data: data}
}

// Write writes tensors (in the given order) and metadata.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	off := 0
	for _, t := range tensors {
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("safetensors: tensor %q written twice", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = headerEntry{DType: t.DType, Shape: shape, Offsets: [2]int{off, off + len(t.Data)}}
		off += len(t.Data)
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(js)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}
