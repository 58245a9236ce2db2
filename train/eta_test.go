package train

import (
	"math"
	"testing"
)

func TestETA(t *testing.T) {
	if _, _, ok := ETA(StepEvent{Epoch: 1, Epochs: 5, Steps: 10}, nil, 100, 20); ok {
		t.Error("an ETA before any timed step")
	}
	// Epoch 1, half done in 5 s: 5 s of training left plus validation at
	// three times 20 img/s (20 images: 1/3 s); four more epochs of 10⅓ s.
	el, rl, ok := ETA(StepEvent{Epoch: 1, Epochs: 5, Step: 5, Steps: 10, Elapsed: 5, ImagesPerSec: 20}, nil, 100, 20)
	if !ok || math.Abs(el-(5+1.0/3)) > 1e-9 || math.Abs(rl-(el+4*(10+1.0/3))) > 1e-9 {
		t.Errorf("first epoch: %v %v", el, rl)
	}
	// Epoch 154 of 400 after a slow first epoch (caching) and steady 2 s
	// epochs, one of them interrupted-slow: the run has 246 epochs of 2 s
	// left, not the mean's.
	hist := []EpochMetrics{{Epoch: 1, Seconds: 60, ImagesPerSec: 50}}
	for e := 2; e <= 153; e++ {
		hist = append(hist, EpochMetrics{Epoch: e, Seconds: 2, ImagesPerSec: 100})
	}
	hist[150].Seconds = 30
	el, rl, ok = ETA(StepEvent{Epoch: 154, Epochs: 400, Step: 1, Steps: 4, Elapsed: 0.4, ImagesPerSec: 100}, hist, 100, 20)
	// Validation: 2 s − 100 images at 100 img/s = 1 s; 3 batches of 0.4 s left.
	if !ok || math.Abs(el-(1.2+1)) > 1e-9 || math.Abs(rl-(el+246*2)) > 1e-9 {
		t.Errorf("epoch 154 of 400: epoch left %v, run left %v; want 2.2 and %v", el, rl, 2.2+246*2)
	}
}
