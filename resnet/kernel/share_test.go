package kernel

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// sharedGraph is a chain of kernel ops (ELU) mixed with gorgonia's own
// additions, which may write into an input or into their register's
// previous value: the cases the plan must see through.
func sharedGraph(t *testing.T, x []float32) (*G.ExprGraph, *G.Node) {
	t.Helper()
	g := G.NewGraph()
	in := G.NewTensor(g, tensor.Float32, 2, G.WithShape(8, 16), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(8, 16), tensor.WithBacking(append([]float32(nil), x...)))))
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a := must(ELU(in))
	b := must(ELU(a))       // a's last reader
	s := must(G.Add(b, in)) // gorgonia: may reuse a register of a dead value
	e := must(ELU(in))      // a kernel op that may be handed a dead buffer
	f := must(G.Add(s, e))  // reads s and e together
	h := must(ELU(f))
	k := must(G.Add(h, s))
	return g, must(ELU(k))
}

// TestSharedBuffersGiveTheSameValues: with every output sharing buffers
// and each buffer poisoned with NaN as it changes hands, the graph computes
// exactly what it does with a buffer per op, run after run.
func TestSharedBuffersGiveTheSameValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 8*16)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	g, out := sharedGraph(t, x)
	vm := G.NewTapeMachine(g)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), Floats(out.Value().(*tensor.Dense))...)
	vm.Close()

	g, out = sharedGraph(t, x)
	svm, plan, err := NewTapeMachine(g, Sharing{Keep: G.Nodes{out}, MinValues: 1, Poison: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svm.Close()
	if plan.SharedOps < 3 || plan.SharedBytes >= plan.AloneBytes {
		t.Fatalf("plan shares %d outputs in %d bytes (%d alone): nothing to test", plan.SharedOps, plan.SharedBytes, plan.AloneBytes)
	}
	for run := 0; run < 3; run++ {
		svm.Reset()
		if err := svm.RunAll(); err != nil {
			t.Fatal(err)
		}
		got := Floats(out.Value().(*tensor.Dense))
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("run %d: value %d is %v with shared buffers, %v without", run, i, got[i], want[i])
			}
		}
	}
}
