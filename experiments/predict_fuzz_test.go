package experiments

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reslab/reslab/internal/safetensors"
	"github.com/reslab/reslab/resnet"
)

// tinyCheckpoint is a valid ResNet-18 (width 2, 3 classes) checkpoint.
func tinyCheckpoint(t testing.TB) []byte {
	t.Helper()
	m, err := resnet.NewModel(resnet.Config{Depth: 18, Width: 2, InputSize: 32, Classes: 3, Pooling: resnet.PoolAvg, Mode: resnet.ModeScratch}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, m.Tensors(), m.Metadata()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withFCShape rewrites fc.weight's shape and byte range in a checkpoint's
// header, as an attacker editing the JSON would; the header keeps its length.
func withFCShape(t testing.TB, data []byte, shape string) []byte {
	t.Helper()
	n := binary.LittleEndian.Uint64(data)
	header := string(data[8 : 8+n])
	i := strings.Index(header, `"fc.weight":`)
	j := strings.Index(header[i:], "}") + i + 1
	entry := `"fc.weight":{"dtype":"F32","shape":` + shape + `,"data_offsets":[0,0]}`
	header = header[:i] + entry + header[j:]
	for len(header)%8 != 0 {
		header += " "
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data[8+n:]...)
}

// TestCraftedWeightsAreRefused: shapes edited to absurd sizes, and NaN
// weights, give an error naming the file, not a panic or a prediction.
func TestCraftedWeightsAreRefused(t *testing.T) {
	good := tinyCheckpoint(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"2^50 x 0 classes": withFCShape(t, good, "[1125899906842624,0]"),
		"2^62 x 4":         withFCShape(t, good, "[4611686018427387904,4]"),
		"200000 x 0":       withFCShape(t, good, "[200000,0]"),
		"50000 x 0":        withFCShape(t, good, "[50000,0]"),
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".safetensors")
		os.WriteFile(path, data, 0o644)
		if p, err := OpenPredictor(PredictOptions{Weights: path}); err == nil {
			p.Close()
			t.Errorf("%s: loaded", name)
		} else if !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), "classes") {
			t.Errorf("%s: error does not name the file or the class count: %v", name, err)
		}
	}
	f, _ := safetensors.Decode(good)
	w, _ := f.Get("conv1.weight")
	binary.LittleEndian.PutUint32(w.Data[8:], 0x7fc00000) // NaN
	nanPath := filepath.Join(dir, "nan.safetensors")
	var buf bytes.Buffer
	safetensors.Write(&buf, f.Tensors, f.Metadata)
	os.WriteFile(nanPath, buf.Bytes(), 0o644)
	if _, err := OpenPredictor(PredictOptions{Weights: nanPath}); err == nil || !strings.Contains(err.Error(), "conv1.weight[2] is NaN") {
		t.Errorf("NaN weights: %v", err)
	}
}

// FuzzOpenPredictor: no checkpoint, however damaged, panics the loader.
func FuzzOpenPredictor(f *testing.F) {
	good := tinyCheckpoint(f)
	f.Add(good)
	f.Add(withFCShape(f, good, "[1125899906842624,0]"))
	path := filepath.Join(f.TempDir(), "w.safetensors")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if p, err := OpenPredictor(PredictOptions{Weights: path}); err == nil {
			p.Close()
		}
	})
}

// TestMutatedCheckpointsNeverPanic loads 300 checkpoints with random bytes
// overwritten (a fixed seed): each loads or fails with an error, promptly.
// Active fuzzing of this path (FuzzOpenPredictor) runs only a few inputs a
// second under coverage instrumentation, so CI fuzzes the decoder and this
// test covers the loader deterministically.
func TestMutatedCheckpointsNeverPanic(t *testing.T) {
	good := tinyCheckpoint(t)
	path := filepath.Join(t.TempDir(), "w.safetensors")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		data := append([]byte(nil), good...)
		for k := 0; k < 1+rng.IntN(4); k++ {
			data[rng.IntN(len(data))] = byte(rng.IntN(256))
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if p, err := OpenPredictor(PredictOptions{Weights: path}); err == nil {
			p.Close()
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("mutation %d took %v", i, d)
		}
	}
}
