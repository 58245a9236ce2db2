//go:build dnnl

package dnnl

// #cgo LDFLAGS: -ldnnl -lgomp
// #include <stdlib.h>
// #include <oneapi/dnnl/dnnl.h>
// #include "conv.h"
import "C"

import (
	"fmt"
	"runtime"
	"sync"
)

// Pass is one of a convolution's three computations.
type Pass int

const (
	// Forward computes y from x and w.
	Forward Pass = C.RC_FORWARD
	// BackwardData computes ∂x from w and ∂y.
	BackwardData Pass = C.RC_BACKWARD_DATA
	// BackwardWeights computes ∂w from x and ∂y.
	BackwardWeights Pass = C.RC_BACKWARD_WEIGHTS
)

func (p Pass) String() string {
	switch p {
	case Forward:
		return "forward"
	case BackwardData:
		return "input gradient"
	case BackwardWeights:
		return "weight gradient"
	}
	return fmt.Sprintf("pass %d", int(p))
}

// noPass marks an Error from before any pass (the engine, a descriptor).
const noPass Pass = -1

// Error is a oneDNN call that failed: the pass (noPass for the engine or a
// descriptor), its step and oneDNN's status. Unimplemented means oneDNN has no primitive for the shapes, and a
// caller can fall back to another implementation.
type Error struct {
	Pass   Pass
	Step   string
	Status int
}

// Unimplemented is oneDNN's status for shapes it has no primitive for.
const Unimplemented = int(C.dnnl_unimplemented)

func (e *Error) Error() string {
	names := map[int]string{
		int(C.dnnl_out_of_memory):     "out of memory",
		int(C.dnnl_invalid_arguments): "invalid arguments",
		int(C.dnnl_unimplemented):     "unimplemented",
		int(C.dnnl_runtime_error):     "runtime error",
	}
	name, ok := names[e.Status]
	if !ok {
		name = fmt.Sprintf("status %d", e.Status)
	}
	if e.Pass == noPass {
		return fmt.Sprintf("oneDNN convolution, %s: %s", e.Step, name)
	}
	return fmt.Sprintf("oneDNN convolution %s, %s: %s", e.Pass, e.Step, name)
}

// thread is the one OS thread every oneDNN call runs on (see the package
// doc), started on first use.
var thread struct {
	once    sync.Once
	err     error
	calls   chan func()
	threads int
}

// on runs f on the oneDNN thread and waits for it.
func on(f func()) error {
	thread.once.Do(func() {
		thread.calls = make(chan func())
		started := make(chan error)
		go func() {
			runtime.LockOSThread()
			if st := C.rc_init(); st != 0 {
				started <- &Error{Pass: noPass, Step: "engine", Status: int(st)}
				return
			}
			started <- nil
			for call := range thread.calls {
				call()
			}
		}()
		thread.err = <-started
	})
	if thread.err != nil {
		return thread.err
	}
	done := make(chan struct{})
	thread.calls <- func() {
		// oneDNN's OpenMP team follows the cores Go may use.
		if n := runtime.GOMAXPROCS(0); n != thread.threads {
			C.rc_set_threads(C.int(n))
			thread.threads = n
		}
		f()
		close(done)
	}
	<-done
	return nil
}

// ISA names the most capable instruction set oneDNN may use on this CPU,
// such as "avx512_core" or "avx2": its convolutions round alike only on
// CPUs with the same one.
func ISA() string {
	var isa string
	if err := on(func() { isa = C.GoString(C.rc_isa()) }); err != nil {
		return "unknown"
	}
	return isa
}

// Version is the oneDNN library's version, such as "2.6.3".
func Version() string {
	v := C.dnnl_version()
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
}

// Conv is one convolution's shapes and, once each has run, its oneDNN
// primitives. Its passes must not run concurrently with each other; distinct
// Convs may be used from any goroutine.
type Conv struct {
	c                *C.rc_conv
	xLen, wLen, yLen int
}

// NewConv describes a bias-free convolution of an (n, c, h, w) input with
// (o, c, k, k) weights, stride and symmetric zero padding pad, as PyTorch's
// Conv2d computes it. The primitives are created on each pass's first run.
func NewConv(n, c, h, w, o, k, stride, pad int) (*Conv, error) {
	ho, wo := (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
	if n < 1 || c < 1 || o < 1 || k < 1 || stride < 1 || pad < 0 || h+2*pad < k || w+2*pad < k {
		return nil, fmt.Errorf("oneDNN convolution: input (%d, %d, %d, %d), weights (%d, %d, %d, %d), stride %d, padding %d", n, c, h, w, o, c, k, k, stride, pad)
	}
	cv := &Conv{xLen: n * c * h * w, wLen: o * c * k * k, yLen: n * o * ho * wo}
	if err := on(func() {
		cv.c = C.rc_new(C.int(n), C.int(c), C.int(h), C.int(w), C.int(o), C.int(k), C.int(stride), C.int(pad))
	}); err != nil {
		return nil, err
	}
	if cv.c == nil {
		return nil, &Error{Pass: noPass, Step: "descriptor", Status: int(C.dnnl_out_of_memory)}
	}
	runtime.SetFinalizer(cv, (*Conv).Close)
	return cv, nil
}

// Run runs one pass: Forward(x, w) → y, BackwardData(w, ∂y) → ∂x,
// BackwardWeights(x, ∂y) → ∂w, overwriting out. The slices must hold the
// shapes' elements in NCHW (OIHW) order.
func (cv *Conv) Run(p Pass, a, b, out []float32) error {
	var lens [3]int
	switch p {
	case Forward:
		lens = [3]int{cv.xLen, cv.wLen, cv.yLen}
	case BackwardData:
		lens = [3]int{cv.wLen, cv.yLen, cv.xLen}
	case BackwardWeights:
		lens = [3]int{cv.xLen, cv.yLen, cv.wLen}
	default:
		return fmt.Errorf("oneDNN convolution: %v", p)
	}
	for i, s := range [][]float32{a, b, out} {
		if len(s) < lens[i] {
			return fmt.Errorf("oneDNN convolution %s: operand %d has %d elements, want %d", p, i, len(s), lens[i])
		}
	}
	c := cv.c
	if c == nil {
		return fmt.Errorf("oneDNN convolution %s: closed", p)
	}
	var st C.int
	var step *C.char
	err := on(func() {
		st = C.rc_run(c, C.int(p), (*C.float)(&a[0]), (*C.float)(&b[0]), (*C.float)(&out[0]), &step)
	})
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(out)
	if err != nil {
		return err
	}
	if st != 0 {
		return &Error{Pass: p, Step: C.GoString(step), Status: int(st)}
	}
	return nil
}

// Impl names the implementation oneDNN chose for a pass that has run (such
// as "jit:avx512_core"), or "" before it has.
func (cv *Conv) Impl(p Pass) string {
	var name string
	c := cv.c
	if c == nil {
		return ""
	}
	on(func() { name = C.GoString(C.rc_impl(c, C.int(p))) })
	return name
}

// Close frees the primitives. The Conv must not be used after.
func (cv *Conv) Close() {
	if cv.c == nil {
		return
	}
	c := cv.c
	cv.c = nil
	on(func() { C.rc_free(c) })
}
