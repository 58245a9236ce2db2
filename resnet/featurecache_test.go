package resnet

import (
	"context"
	"fmt"
	"testing"

	"github.com/reslab/reslab/train"
)

// namedBatch is a batch whose images have paths, as the loader's have.
type namedBatch struct {
	train.SliceBatch
	paths []string
}

func (b namedBatch) Paths() []string { return b.paths }

// TestFeatureCacheMatchesRecomputing trains a frozen model twice on the same
// batches, with and without the feature cache: same weights, and the cached
// run stops running the backbone after the first pass.
func TestFeatureCacheMatchesRecomputing(t *testing.T) {
	cfg := tinyConfig()
	cfg.Mode = ModeFrozen
	cfg.Dropout = 0
	var batches []namedBatch
	for i := 0; i < 2; i++ {
		b := namedBatch{SliceBatch: randomBatch(4, cfg.InputSize, cfg.Classes, uint64(i))}
		for j := 0; j < 4; j++ {
			b.paths = append(b.paths, fmt.Sprintf("img-%d-%d.png", i, j))
		}
		batches = append(batches, b)
	}
	train := func(cache bool) (*Model, []float32) {
		m, _ := NewModel(cfg, 3)
		m.SetFeatureCache(cache)
		for epoch := 0; epoch < 3; epoch++ {
			before := m.backboneImages
			for _, b := range batches {
				if _, err := m.TrainStep(context.Background(), b, 0.01); err != nil {
					t.Fatal(err)
				}
			}
			ran := m.backboneImages - before
			if want := 8; epoch == 0 || !cache {
				if ran != want {
					t.Errorf("cache %v, epoch %d: the backbone ran on %d images, want %d", cache, epoch+1, ran, want)
				}
			} else if ran != 0 {
				t.Errorf("epoch %d: the backbone ran on %d images with every feature cached", epoch+1, ran)
			}
		}
		logits, err := m.Logits(context.Background(), batches[0])
		if err != nil {
			t.Fatal(err)
		}
		return m, logits
	}
	cached, a := train(true)
	plain, b := train(false)
	defer cached.Close()
	defer plain.Close()
	assertClose(t, "logits with and without the feature cache", a, b, 1e-6)
	if len(cached.featureCache) != 8 {
		t.Errorf("cache holds %d images, want 8", len(cached.featureCache))
	}
	if len(plain.featureCache) != 4 { // validation (Logits) is cached in frozen mode
		t.Errorf("uncached training still cached %d images for evaluation, want 4", len(plain.featureCache))
	}
}
