package augment_test

import (
	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/train"
)

// The loader's batches are what a train.Learner consumes.
var _ train.Batch = (*augment.Batch)(nil)
