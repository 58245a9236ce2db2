package augment

import "sync"

// decodeGate bounds the decoded bytes a loader's workers hold at once, so
// a few large images decoded on every core together cannot exhaust memory:
// a worker waits until the others have released enough. One image larger
// than the whole allowance still goes through, alone.
type decodeGate struct {
	mu    sync.Mutex
	freed *sync.Cond
	limit int64
	used  int64
}

// defaultDecodeAllowance is the decoded bytes a loader's workers may hold
// together: two of the largest images allowed.
const defaultDecodeAllowance = 2 * DefaultMaxDecodedBytes

func newDecodeGate(limit int64) *decodeGate {
	g := &decodeGate{limit: limit}
	g.freed = sync.NewCond(&g.mu)
	return g
}

// acquire waits until n more bytes fit (or nothing else is held) and takes
// them; it returns what release must give back.
func (g *decodeGate) acquire(n int64) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.used > 0 && g.used+n > g.limit {
		g.freed.Wait()
	}
	g.used += n
	return n
}

func (g *decodeGate) release(n int64) {
	g.mu.Lock()
	g.used -= n
	g.mu.Unlock()
	g.freed.Broadcast()
}
