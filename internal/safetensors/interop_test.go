package safetensors_test

import (
	"encoding/binary"
	"math"
	"testing"

	hf "github.com/nlpodyssey/safetensors"

	"github.com/reslab/reslab/internal/safetensors"
)

// TestReadsAnotherImplementationsFile reads a file written by a second,
// independent implementation: nlpodyssey/safetensors, a Go port of Hugging
// Face's reference serializer (the Rust crate the Python safetensors
// package wraps, which cannot be installed here), with its header layout,
// padding and tensor order, and metadata. F32, F64, F16 and BF16 tensors
// must come back with their values; an I32 tensor is read as integers.
func TestReadsAnotherImplementationsFile(t *testing.T) {
	f32 := []float32{0, 1.5, -2.25, float32(math.Inf(1)), 3e-39}
	f64 := []float64{math.Pi, -1e-300, 0.5}
	// F16 bit patterns and their values: 1, −2, 0.5 (and a subnormal).
	f16 := []uint16{0x3c00, 0xc000, 0x3800, 0x0001}
	f16Want := []float32{1, -2, 0.5, float32(math.Ldexp(1, -24))}
	// BF16 is the float32's top half: 1.5 and −3.
	bf16 := []uint16{0x3fc0, 0xc040}
	bf16Want := []float32{1.5, -3}
	le32 := func(vs []float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	le64 := func(vs []float64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	le16 := func(vs []uint16) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint16(b, v)
		}
		return b
	}
	view := func(dt hf.DType, shape []uint64, data []byte) hf.TensorView {
		v, err := hf.NewTensorView(dt, shape, data)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	file, err := hf.Serialize(map[string]hf.TensorView{
		"conv1.weight": view(hf.F32, []uint64{5}, le32(f32)),
		"fc.bias":      view(hf.F64, []uint64{3}, le64(f64)),
		"half":         view(hf.F16, []uint64{2, 2}, le16(f16)),
		"brain":        view(hf.BF16, []uint64{2}, le16(bf16)),
		"steps":        view(hf.I32, []uint64{1}, binary.LittleEndian.AppendUint32(nil, 7)),
	}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := safetensors.Decode(file)
	if err != nil {
		t.Fatalf("reslab cannot read the reference serializer's file: %v", err)
	}
	if got.Metadata["format"] != "pt" {
		t.Errorf("metadata %v, want format pt", got.Metadata)
	}
	for name, want := range map[string][]float32{
		"conv1.weight": f32,
		"fc.bias":      narrow(f64),
		"half":         f16Want,
		"brain":        bf16Want,
	} {
		tensor, ok := got.Get(name)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		vals, err := tensor.Float32s()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(vals) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(vals), len(want))
		}
		for i := range want {
			if math.Float32bits(vals[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, vals[i], want[i])
			}
		}
	}
	if h, _ := got.Get("half"); len(h.Shape) != 2 || h.Shape[0] != 2 || h.Shape[1] != 2 {
		t.Errorf("half's shape %v, want [2 2]", h.Shape)
	}
	if s, ok := got.Get("steps"); !ok || s.IsFloat() {
		t.Errorf("steps: found %v, float %v; want an integer tensor", ok, s.IsFloat())
	}
}

// narrow rounds float64 values to float32 at run time (a constant
// conversion would lose the sign of an underflowing negative value).
func narrow(vs []float64) []float32 {
	out := make([]float32, len(vs))
	for i, v := range vs {
		out[i] = float32(v)
	}
	return out
}
