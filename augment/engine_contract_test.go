package augment_test

import (
	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/engine"
)

// The loader's batches are what the engine consumes.
var _ engine.Batch = (*augment.Batch)(nil)
