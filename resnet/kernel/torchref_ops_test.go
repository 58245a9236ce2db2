package kernel

import (
	"math"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"
	"github.com/reslab/reslab/internal/safetensors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opsFixture is PyTorch's ELU, average pooling and cross-entropy in float64
// on fixed inputs (tools/torchref/make_fixtures.py, beside the network
// fixtures).
const opsFixture = "../testdata/torchref/ops.safetensors"

func fixtureValues(t *testing.T, f *safetensors.File, name string) ([]float32, []int) {
	t.Helper()
	tn, ok := f.Get(name)
	if !ok {
		t.Fatalf("%s lacks %s", opsFixture, name)
	}
	v, err := tn.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return v, tn.Shape
}

// runOp builds out = sum(op(x) ⊙ g), and returns op(x) and ∂out/∂x.
func runOp(t *testing.T, x []float32, xs []int, g []float32, op func(*G.Node) (*G.Node, error)) (y, dx []float32) {
	t.Helper()
	graph := G.NewGraph()
	xn := gradcheck.Const(graph, "x", tensor.Shape(xs), append([]float32(nil), x...))
	yn, err := op(xn)
	if err != nil {
		t.Fatal(err)
	}
	gn := gradcheck.Const(graph, "g", yn.Shape(), g)
	prod, err := G.HadamardProd(yn, gn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(out, xn)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(graph)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), yn.Value().Data().([]float32)...), append([]float32(nil), grads[0].Value().Data().([]float32)...)
}

func requireClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(float64(got[i])-float64(want[i])) / math.Max(1, math.Abs(float64(want[i])))
		worst = math.Max(worst, d)
	}
	if worst > tol {
		t.Errorf("%s: worst relative difference %.3g, want ≤ %g", what, worst, tol)
	}
	t.Logf("%s: worst relative difference %.3g (tolerance %g)", what, worst, tol)
}

// TestOpsMatchPyTorch compares ELU, global average pooling and softmax
// cross-entropy, values and input gradients, with PyTorch's float64 results.
func TestOpsMatchPyTorch(t *testing.T) {
	f, err := safetensors.ReadFile(opsFixture)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-5
	for _, c := range []struct {
		name string
		op   func(*G.Node) (*G.Node, error)
	}{{"elu", ELU}, {"avgpool", GlobalAvgPool}} {
		x, xs := fixtureValues(t, f, c.name+".x")
		g, _ := fixtureValues(t, f, c.name+".g")
		wantY, _ := fixtureValues(t, f, c.name+".y")
		wantDX, _ := fixtureValues(t, f, c.name+".dx")
		y, dx := runOp(t, x, xs, g, c.op)
		requireClose(t, c.name+" output", y, wantY, tol)
		requireClose(t, c.name+" input gradient", dx, wantDX, tol)
	}

	logits, ls := fixtureValues(t, f, "ce.logits")
	lt, _ := f.Get("ce.labels")
	labels, err := lt.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	k := ls[1]
	onehot := make([]float32, len(logits))
	for i, y := range labels {
		onehot[i*k+int(y)] = 1
	}
	graph := G.NewGraph()
	z := gradcheck.Const(graph, "z", tensor.Shape(ls), append([]float32(nil), logits...))
	target := gradcheck.Const(graph, "t", tensor.Shape(ls), onehot)
	loss, err := SoftmaxCrossEntropy(z, target)
	if err != nil {
		t.Fatal(err)
	}
	value, grad := gradcheck.ValueAndGrad(t, graph, loss, loss, z)
	wantLoss, _ := fixtureValues(t, f, "ce.loss")
	wantGrad, _ := fixtureValues(t, f, "ce.dlogits")
	requireClose(t, "cross-entropy loss", value, wantLoss, tol)
	requireClose(t, "cross-entropy gradient", grad, wantGrad, tol)
}
