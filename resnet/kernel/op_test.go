package kernel

import (
	"testing"

	"gorgonia.org/tensor"
)

// TestKernelOpOutputReuse: an op hands out the same tensor run after run,
// cleared when asked, and takes it back after gorgonia reshaped it in place.
func TestKernelOpOutputReuse(t *testing.T) {
	op := newKernelOp("test", []int{2}, 2)
	first := op.output(tensor.Shape{2, 3}, false)
	Floats(first)[4] = 7
	if again := op.output(tensor.Shape{2, 3}, false); again != first || Floats(again)[4] != 7 {
		t.Fatal("output not reused as it was")
	}
	if cleared := op.output(tensor.Shape{2, 3}, true); cleared != first || Floats(cleared)[4] != 0 {
		t.Fatal("zeroed output not cleared")
	}
	if err := first.Reshape(6); err != nil {
		t.Fatal(err)
	}
	if back := op.output(tensor.Shape{2, 3}, false); back != first || !back.Shape().Eq(tensor.Shape{2, 3}) {
		t.Fatalf("reshaped output not taken back: shape %v", back.Shape())
	}
	if other := op.output(tensor.Shape{4, 3}, false); other == first || other.Shape().TotalSize() != 12 {
		t.Fatal("a new shape must get a new tensor")
	}
}
