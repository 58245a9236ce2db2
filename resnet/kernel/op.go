package kernel

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opSerial gives every op instance its own hash. gorgonia merges nodes whose
// op hashes and children are equal; ops that carry state (BatchNorm's batch
// statistics, dropout's mask) must never be merged, so each gets a number.
var opSerial atomic.Uint64

// kernelOp is the one gorgonia.Op implementation behind every op reslab adds.
// Each op is described by its shapes, its forward kernel and, when it is
// differentiable, a function building its gradient nodes. Keeping the
// boilerplate in one place keeps each op's file about its mathematics.
type kernelOp struct {
	name    string
	serial  uint64
	inDims  []int // dimensions of each input
	outDims int   // dimensions of the output; 0 means a scalar
	shape   func(in []tensor.Shape) (tensor.Shape, error)
	forward func(in []*tensor.Dense) (*tensor.Dense, error)
	// wrt says which inputs the op differentiates; grad builds their
	// gradient nodes (nil entries for the others). Both nil: not differentiable.
	wrt  []bool
	grad func(inputs G.Nodes, output, dy *G.Node) (G.Nodes, error)

	// out is the output tensor of the latest run, reused by the next (see
	// output).
	out *tensor.Dense
	// slot, when set, is the buffer out lives in, shared with ops whose
	// outputs are dead while this one's is alive (see share.go).
	slot *sharedSlot
}

func newKernelOp(name string, inDims []int, outDims int) *kernelOp {
	return &kernelOp{name: name, serial: opSerial.Add(1), inDims: inDims, outDims: outDims}
}

func (op *kernelOp) Arity() int { return len(op.inDims) }

func (op *kernelOp) Type() hm.Type {
	ts := make(hm.Types, 0, len(op.inDims)+1)
	for _, d := range append(op.inDims[:len(op.inDims):len(op.inDims)], op.outDims) {
		if d == 0 { // a scalar
			ts = append(ts, tensor.Float32)
		} else {
			ts = append(ts, G.TensorType{Dims: d, Of: tensor.Float32})
		}
	}
	return hm.NewFnType(ts...)
}

func (op *kernelOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	shapes, err := G.DimSizersToShapes(ds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	return op.shape(shapes)
}

func (op *kernelOp) Do(vals ...G.Value) (G.Value, error) {
	in := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		if s, ok := v.(*G.F32); ok { // a scalar, such as the gradient seed of a loss
			v = tensor.New(tensor.FromScalar(float32(*s)))
		}
		d, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("%s: input %d is %T, want *tensor.Dense", op.name, i, v)
		}
		if d.Dtype() != tensor.Float32 {
			return nil, fmt.Errorf("%s: input %d is %v, want float32", op.name, i, d.Dtype())
		}
		in[i] = d
	}
	return op.forward(in)
}

func (op *kernelOp) ReturnsPtr() bool     { return false }
func (op *kernelOp) CallsExtern() bool    { return false }
func (op *kernelOp) OverwritesInput() int { return -1 }
func (op *kernelOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "reslab.%s#%d", op.name, op.serial)
}
func (op *kernelOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *kernelOp) String() string { return op.name }

func (op *kernelOp) DiffWRT(inputs int) []bool {
	if op.wrt == nil {
		return make([]bool, inputs)
	}
	return op.wrt
}

func (op *kernelOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad == nil {
		return nil, fmt.Errorf("%s has no gradient", op.name)
	}
	return op.grad(inputs, output, grad)
}

// apply adds the op to the graph.
func (op *kernelOp) apply(children ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	return n, nil
}

// output returns the tensor a forward kernel writes its result into. It is
// the previous run's output when the shape still matches: a graph's values
// are read only until its next run (Model copies what it keeps), and one
// op runs once per run, so reusing it is safe. Steady-state steps then
// allocate nothing for reslab's ops, which spares the collector and, above
// all, the page faults of touching freshly mapped memory, which cost about
// a tenth of a ResNet-50 step. zeroed clears a reused tensor for kernels
// that accumulate into their output.
func (op *kernelOp) output(shape tensor.Shape, zeroed bool) *tensor.Dense {
	if op.slot != nil && shape.TotalSize() <= op.slot.size {
		out := op.slot.take(op, shape)
		if zeroed {
			clear(Floats(out))
		}
		return out
	}
	if op.out != nil && !op.out.Shape().Eq(shape) && op.out.Shape().TotalSize() == shape.TotalSize() && !op.out.IsView() {
		// gorgonia's Reshape (a flatten head) reshapes its input in place;
		// the reshaped value belonged to the previous run.
		if err := op.out.Reshape(shape...); err != nil {
			op.out = nil
		}
	}
	if op.out == nil || !op.out.Shape().Eq(shape) || op.out.Dtype() != tensor.Float32 {
		op.out = NewDense(shape)
		return op.out
	}
	if zeroed {
		clear(Floats(op.out))
	}
	return op.out
}

// Floats is a float32 tensor's backing slice.
func Floats(t *tensor.Dense) []float32 { return t.Data().([]float32) }

// NewDense is a zeroed float32 tensor of the given shape.
func NewDense(shape tensor.Shape) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(make([]float32, shape.TotalSize())))
}

// ParallelFor splits [0,n) into contiguous chunks, one per core, and runs
// body on each. Element-wise kernels are memory bound: two cores nearly
// double their speed, and gorgonia's own tape runs one op at a time.
// minChunk is the least work worth a goroutine, in units of n.
func ParallelFor(n, minChunk int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/max(minChunk, 1))
	if workers <= 1 {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			body(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
}
