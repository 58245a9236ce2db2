package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := []Tensor{F32("b.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, -6.5}), I64("n", []int{}, []int64{7}), F32("a", []int{1}, []float32{0.25})}
	if err := Write(&buf, in, map[string]string{"arch": "resnet18"}); err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(buf.Bytes()); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	f, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["arch"] != "resnet18" || len(f.Tensors) != 3 {
		t.Fatalf("decoded %+v", f)
	}
	for i, want := range []string{"b.weight", "n", "a"} { // data order, not name order
		if f.Tensors[i].Name != want {
			t.Errorf("tensor %d is %s, want %s", i, f.Tensors[i].Name, want)
		}
	}
	w, _ := f.Get("b.weight")
	v, err := w.Float32s()
	if err != nil || v[5] != -6.5 || len(w.Shape) != 2 {
		t.Errorf("b.weight = %v %v (%v)", v, w.Shape, err)
	}
	n, _ := f.Get("n")
	if c, err := n.Int64s(); err != nil || c[0] != 7 {
		t.Errorf("n = %v (%v)", c, err)
	}
	if _, err := n.Float32s(); err == nil {
		t.Error("an I64 tensor decoded as F32")
	}
	if err := Write(&bytes.Buffer{}, []Tensor{in[0], in[0]}, nil); err == nil {
		t.Error("a duplicated name was written")
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{F32("w", []int{4}, []float32{1, 2, 3, 4})}, nil)
	good := buf.Bytes()
	cases := map[string][]byte{
		"empty":          {},
		"huge header":    append(binary.LittleEndian.AppendUint64(nil, 1<<40), good[8:]...),
		"truncated data": good[:len(good)-3],
		"bad json":       append(binary.LittleEndian.AppendUint64(nil, 8), []byte("{nope   ")...),
	}
	for name, data := range cases {
		if _, err := Decode(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
	}
}

// crafted builds a file from a raw JSON header and body.
func crafted(header string, body []byte) []byte {
	for len(header)%8 != 0 {
		header += " "
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), body...)
}

// TestDecodeRejectsCraftedHeaders: shapes whose products overflow or exceed
// the body, byte ranges that overlap, leave gaps or stop short of the body.
func TestDecodeRejectsCraftedHeaders(t *testing.T) {
	body16 := make([]byte, 16)
	cases := map[string][]byte{
		"2^50 x 0":          crafted(`{"fc.weight":{"dtype":"F32","shape":[1125899906842624,0],"data_offsets":[0,0]}}`, nil),
		"2^62 x 4, 0 bytes": crafted(`{"fc.weight":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`, nil),
		"overflow to 16":    crafted(`{"w":{"dtype":"F32","shape":[4611686018427387905,4],"data_offsets":[0,16]}}`, body16),
		"overlap":           crafted(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, body16),
		"gap":               crafted(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, body16),
		"short of the body": crafted(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, body16),
	}
	for name, data := range cases {
		if _, err := Decode(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
	}
	ok := crafted(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[8,16]}}`, body16)
	if f, err := Decode(ok); err != nil || len(f.Tensors) != 3 {
		t.Errorf("a valid file with an empty tensor: %v", err)
	}
}

// FuzzDecode: no input panics or allocates beyond the input; what decodes
// writes back to a file that decodes to the same tensors.
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{F32("conv1.weight", []int{2, 2}, []float32{1, 2, 3, 4}), I64("bn1.num_batches_tracked", []int{}, []int64{3})}, map[string]string{"format": "reslab"})
	f.Add(buf.Bytes())
	f.Add(crafted(`{"fc.weight":{"dtype":"F32","shape":[1125899906842624,0],"data_offsets":[0,0]}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("decoded file does not write back: %v", err)
		}
		again, err := Decode(out.Bytes())
		if err != nil || len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("written file does not decode the same: %v", err)
		}
		for i, tn := range file.Tensors {
			if again.Tensors[i].Name != tn.Name || !bytes.Equal(again.Tensors[i].Data, tn.Data) {
				t.Fatalf("tensor %d changed on the round trip", i)
			}
		}
	})
}

// TestHalfPrecisionWidens: F16 and BF16 tensors read as float32 exactly
// (reference bit patterns from IEEE 754 and bfloat16's definition); integer
// tensors are refused as weights with a clear message.
func TestHalfPrecisionWidens(t *testing.T) {
	f16 := map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x3555: 0.333251953125, 0x7bff: 65504, 0x0001: 5.9604645e-08,
		0x0400: 6.1035156e-05, 0x8000: float32(math.Copysign(0, -1)), 0x7c00: float32(math.Inf(1))}
	var data []byte
	var want []float32
	for bits, v := range f16 {
		data = binary.LittleEndian.AppendUint16(data, bits)
		want = append(want, v)
	}
	got, err := Tensor{Name: "w", DType: "F16", Data: data}.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("F16 value %d: %v, want %v", i, got[i], want[i])
		}
	}
	if nan, _ := (Tensor{DType: "F16", Data: []byte{0x00, 0x7e}}).Float32s(); !math.IsNaN(float64(nan[0])) {
		t.Errorf("F16 NaN read as %v", nan[0])
	}
	bf, err := Tensor{DType: "BF16", Data: []byte{0x80, 0x3f, 0x49, 0x40}}.Float32s() // 1.0, 3.140625
	if err != nil || bf[0] != 1 || bf[1] != 3.140625 {
		t.Errorf("BF16 = %v, %v", bf, err)
	}
	if _, err := (Tensor{Name: "n", DType: "I32", Data: make([]byte, 4)}).Float32s(); err == nil || !strings.Contains(err.Error(), "floating-point") {
		t.Errorf("I32 as weights: %v", err)
	}
}
