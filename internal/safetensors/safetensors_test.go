package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
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
