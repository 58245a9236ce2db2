package kernel

import "sync"

// The scratch pool recycles the kernels' temporary buffers (im2col blocks,
// packed gradients, partial sums) across calls and graphs, so a training
// step allocates none of them. Buffers are not cleared: every kernel
// overwrites what it reads.
var scratchPool struct {
	sync.Mutex
	free [][]float32
}

// maxFreeScratch bounds the number of idle buffers kept.
const maxFreeScratch = 16

func getScratch(n int) []float32 {
	scratchPool.Lock()
	best := -1
	for i, b := range scratchPool.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(scratchPool.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := scratchPool.free[best]
		last := len(scratchPool.free) - 1
		scratchPool.free[best] = scratchPool.free[last]
		scratchPool.free[last] = nil
		scratchPool.free = scratchPool.free[:last]
		scratchPool.Unlock()
		return b[:n]
	}
	scratchPool.Unlock()
	return make([]float32, n)
}

func putScratch(p *[]float32) {
	b := *p
	*p = nil
	if b == nil {
		return
	}
	scratchPool.Lock()
	defer scratchPool.Unlock()
	if len(scratchPool.free) < maxFreeScratch {
		scratchPool.free = append(scratchPool.free, b)
		return
	}
	// Full: replace the smallest buffer if this one is larger.
	small := 0
	for i, f := range scratchPool.free {
		if cap(f) < cap(scratchPool.free[small]) {
			small = i
		}
	}
	if cap(b) > cap(scratchPool.free[small]) {
		scratchPool.free[small] = b
	}
}

// scratchBuf returns a pooled buffer of n floats held in *p, to be returned
// with putScratch(p).
func scratchBuf(p *[]float32, n int) []float32 {
	if cap(*p) >= n {
		return (*p)[:n]
	}
	putScratch(p)
	*p = getScratch(n)
	return *p
}
