package kernel

import (
	"fmt"
	"math"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sharing activation memory between ops.
//
// Every kernelOp keeps its output tensor from one run to the next (see
// output), which spares the page faults of fresh memory but holds every
// value of the graph at once: in a training graph the gradients of the
// activations too, each of which is dead a few ops after it is made.
// PyTorch frees those as its backward pass goes; here ops whose lifetimes
// do not overlap take turns with the same buffer instead, planned once per
// graph from the order the tape machine runs it in.
//
// A value's memory lives while any node that may hold it is read. Besides
// the value's own readers, gorgonia's own ops (the additions that sum a
// node's gradients, the head's products, reshapes) may hold it: they can
// write in place into an input they are the last reader of, and into
// whatever value their register held before them (UsePreallocDo). The plan
// therefore reads gorgonia's register assignment (G.Compile, handed to the
// tape machine with WithPrecompiled so both use the same one) and lets a
// buffer go only after every such node's last reader has run.

// Sharing is what NewTapeMachine needs to plan shared buffers.
type Sharing struct {
	// Keep are the nodes read after a run (outputs, losses, gradients):
	// they, and whatever may hold their memory, keep buffers of their own.
	Keep G.Nodes
	// MinValues is the smallest output worth a shared buffer (smaller ones
	// keep their own); 0 means 16384 values.
	MinValues int
	// Poison fills a shared buffer with NaN whenever it passes to another
	// op, so that an op that does not write all of its output, or a plan
	// that hands a buffer on too early, shows in the results (tests).
	Poison bool
}

// BufferPlan is how a graph's kernel ops share output memory.
type BufferPlan struct {
	// SharedOps is the number of ops whose outputs use shared buffers.
	SharedOps int
	// SharedBytes is those buffers' total size; AloneBytes what the same
	// outputs would hold with a buffer each.
	SharedBytes, AloneBytes int64
}

// sharedSlot is one buffer some ops take turns with.
type sharedSlot struct {
	size   int // values
	data   []float32
	owner  *kernelOp // the op whose output it holds now
	poison bool      // Sharing.Poison
}

// take returns the slot's memory as op's output of the given shape.
func (s *sharedSlot) take(op *kernelOp, shape tensor.Shape) *tensor.Dense {
	n := shape.TotalSize()
	if s.data == nil {
		s.data = make([]float32, s.size)
	}
	if s.owner != op && s.poison {
		nan := float32(math.NaN())
		for i := range s.data {
			s.data[i] = nan
		}
	}
	s.owner = op
	if op.out == nil || !op.out.Shape().Eq(shape) || &Floats(op.out)[0] != &s.data[0] {
		op.out = tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(s.data[:n:n]))
	}
	return op.out
}

// NewTapeMachine compiles g and plans which kernel ops' outputs share
// memory, then returns a tape machine running that compilation.
func NewTapeMachine(g *G.ExprGraph, sharing Sharing, opts ...G.VMOpt) (G.VM, *BufferPlan, error) {
	prog, locMap, err := G.Compile(g)
	if err != nil {
		return nil, nil, fmt.Errorf("compiling the graph: %w", err)
	}
	plan, err := planBuffers(g, sharing, func(n *G.Node) (any, bool) {
		r, ok := locMap[n]
		return r, ok
	})
	if err != nil {
		return nil, nil, err
	}
	return G.NewTapeMachine(g, append(opts, G.WithPrecompiled(prog, locMap))...), plan, nil
}

// planBuffers assigns shared buffers; register gives each node's register
// in the compiled program (a comparable value).
func planBuffers(g *G.ExprGraph, sharing Sharing, register func(*G.Node) (any, bool)) (*BufferPlan, error) {
	order, err := G.Sort(g)
	if err != nil {
		return nil, fmt.Errorf("ordering the graph: %w", err)
	}
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 { // the tape runs the reverse of Sort, as G.Compile
		order[i], order[j] = order[j], order[i]
	}
	end := len(order)                         // "read after the run"
	children := make([][]*G.Node, len(order)) // each node's inputs
	for i, n := range order {
		for it := g.From(n.ID()); it.Next(); {
			children[i] = append(children[i], it.Node().(*G.Node))
		}
	}
	// lastRead: the index of a node's last reader; end for kept nodes and
	// nodes nothing reads.
	lastRead := make(map[*G.Node]int, len(order))
	for i := range order {
		for _, c := range children[i] {
			lastRead[c] = max(lastRead[c], i)
		}
	}
	for _, n := range order {
		if _, read := lastRead[n]; !read {
			lastRead[n] = end
		}
	}
	for _, n := range sharing.Keep {
		lastRead[n] = end
	}
	minValues := sharing.MinValues
	if minValues <= 0 {
		minValues = 1 << 14
	}
	// holders: the kernel ops whose memory a node's value may be. An op
	// used at more than one node, or too small, holds its own.
	uses := map[*kernelOp]int{}
	for _, n := range order {
		if op, ok := n.Op().(*kernelOp); ok {
			uses[op]++
		}
	}
	shareable := func(n *G.Node) (*kernelOp, bool) {
		op, ok := n.Op().(*kernelOp)
		return op, ok && uses[op] == 1 && n.Shape().TotalSize() >= minValues
	}
	holders := make(map[*G.Node][]*G.Node, len(order))
	previous := map[any]*G.Node{} // the last node that wrote each register
	for i, n := range order {
		reg, compiled := register(n)
		switch {
		case n.Op() == nil:
		case isKernelOp(n):
			holders[n] = []*G.Node{n}
		default:
			// gorgonia's op may write into an input or into its
			// register's previous value.
			var hs []*G.Node
			for _, c := range children[i] {
				hs = appendNew(hs, holders[c])
			}
			if p := previous[reg]; compiled && p != nil {
				hs = appendNew(hs, holders[p])
			}
			holders[n] = hs
		}
		if compiled {
			previous[reg] = n
		}
	}
	// free[n]: after which index n's memory may pass to another op.
	free := make(map[*G.Node]int, len(order))
	for _, n := range order {
		for _, h := range holders[n] {
			free[h] = max(free[h], lastRead[n])
		}
	}

	plan := &BufferPlan{}
	var slots []*sharedSlot
	type lease struct {
		slot  *sharedSlot
		until int
	}
	var busy []lease
	var idle []*sharedSlot
	for i, n := range order {
		// Buffers whose holders have all been read before this op are idle.
		kept := busy[:0]
		for _, l := range busy {
			if l.until < i {
				idle = append(idle, l.slot)
			} else {
				kept = append(kept, l)
			}
		}
		busy = kept
		op, ok := shareable(n)
		if !ok || free[n] >= end {
			continue
		}
		size := n.Shape().TotalSize()
		// The smallest idle buffer that fits, else the largest (it grows).
		pick := -1
		for j, s := range idle {
			if s.size >= size && (pick < 0 || s.size < idle[pick].size) {
				pick = j
			}
		}
		if pick < 0 {
			for j, s := range idle {
				if pick < 0 || s.size > idle[pick].size {
					pick = j
				}
			}
		}
		var s *sharedSlot
		if pick >= 0 {
			s = idle[pick]
			idle = append(idle[:pick], idle[pick+1:]...)
		} else {
			s = &sharedSlot{poison: sharing.Poison}
			slots = append(slots, s)
		}
		s.size = max(s.size, size)
		op.slot = s
		plan.SharedOps++
		plan.AloneBytes += 4 * int64(size)
		busy = append(busy, lease{slot: s, until: free[n]})
	}
	for _, s := range slots {
		plan.SharedBytes += 4 * int64(s.size)
	}
	return plan, nil
}

// appendNew appends the nodes of add that hs lacks: a chain of gorgonia
// ops would otherwise repeat its holders once per link.
func appendNew(hs, add []*G.Node) []*G.Node {
	for _, a := range add {
		if !slices.Contains(hs, a) {
			hs = append(hs, a)
		}
	}
	return hs
}

func isKernelOp(n *G.Node) bool {
	_, ok := n.Op().(*kernelOp)
	return ok
}
