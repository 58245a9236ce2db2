package augment

import "math/rand/v2"

// splitmix64 is a fast, well-mixed 64-bit hash. It turns structured inputs
// (seed, epoch, image index) into independent-looking PRNG seeds so that
// each image's random draws depend only on those inputs and never on which
// worker goroutine happened to process it.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Salts keep the streams for different purposes apart even when they share
// a seed and numbers.
const (
	saltShuffle uint64 = 0x53485546464c45 // "SHUFFLE"
	saltImage   uint64 = 0x494d414745     // "IMAGE"
	saltSplit   uint64 = 0x53504c4954     // "SPLIT"
	saltDemo    uint64 = 0x44454d4f       // "DEMO"
	saltPreview uint64 = 0x50524556       // "PREV"
	saltFolds   uint64 = 0x464f4c4453     // "FOLDS"
)

// newRand returns a PCG generator whose state is a hash of the given
// words. The same words always give the same stream.
func newRand(salt uint64, words ...uint64) *rand.Rand {
	h1 := splitmix64(salt)
	h2 := splitmix64(salt ^ 0xa5a5a5a5a5a5a5a5)
	for _, w := range words {
		h1 = splitmix64(h1 ^ w)
		h2 = splitmix64(h2 + w*0x9e3779b97f4a7c15)
	}
	return rand.New(rand.NewPCG(h1, h2))
}

// ImageRand returns the random source used to draw the augmentation of
// sample index in the given epoch. It is exported so that previews and
// tests can reproduce exactly what the loader did to an image.
func ImageRand(seed int64, epoch, index int) *rand.Rand {
	return newRand(saltImage, uint64(seed), uint64(epoch), uint64(index))
}
