package experiments

import (
	"context"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/train"
)

// loaderSource lets the training loop read an augment.Loader: the glue
// that keeps train and augment unaware of each other.
type loaderSource struct{ l *augment.Loader }

func (s loaderSource) Batches() int { return s.l.NumBatches() }

// Epoch starts after the batches a resumed epoch already trained on; the
// loader is deterministic, so the rest are the batches it would have had.
func (s loaderSource) Epoch(ctx context.Context, epoch, skip int) train.BatchIter {
	return loaderIter{s.l.EpochFrom(ctx, epoch, skip)}
}

type loaderIter struct{ it *augment.EpochIter }

func (li loaderIter) Next() (train.Batch, error) {
	b, err := li.it.Next()
	if err != nil {
		return nil, err // an untyped nil: a nil *augment.Batch would not be
	}
	return b, nil
}

func (li loaderIter) Close() { li.it.Close() }
