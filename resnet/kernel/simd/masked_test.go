package simd

import (
	"math/rand/v2"
	"testing"
)

// TestMaskedRows32MatchesGo: the AVX-512 loop writes what the Go loop does,
// bit for bit, with offsets that start before src or run past its end in
// lanes whose bits are clear.
func TestMaskedRows32MatchesGo(t *testing.T) {
	if !HasMaskedRows32() {
		t.Skip("this CPU has no AVX-512: MaskedRows32 runs as the Go loop only")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	src := make([]float32, 100)
	for i := range src {
		src[i] = float32(rng.NormFloat64())
	}
	const rows = 40
	offs, masks := make([]int32, rows), make([]uint32, rows)
	for r := range offs {
		off := rng.IntN(140) - 20 // from 20 before src to past its end
		var m uint32
		for j := 0; j < 32; j++ {
			if at := off + j; at >= 0 && at < len(src) && rng.IntN(4) != 0 {
				m |= 1 << j
			}
		}
		offs[r], masks[r] = int32(off), m
	}
	offs[0], masks[0] = -31, 1<<31           // only the last lane, src[0]
	offs[1], masks[1] = int32(len(src)-1), 1 // only the first lane, the last value
	offs[2], masks[2] = 0, 0xffffffff
	got, want := make([]float32, 32*rows), make([]float32, 32*rows)
	for i := range got {
		got[i] = 7 // every lane is written, masked or not
	}
	MaskedRows32(got, src, offs, masks)
	maskedRows32(want, src, offs, masks)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d lane %d: %v, want %v (offset %d, mask %#x)", i/32, i%32, got[i], want[i], offs[i/32], masks[i/32])
		}
	}
	if got[31] != src[0] || got[32] != src[len(src)-1] || got[64+5] != src[5] {
		t.Fatal("the hand-made rows are wrong")
	}
}
