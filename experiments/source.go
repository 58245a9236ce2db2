package experiments

import (
	"context"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/engine"
)

// loaderSource lets the engine's fit loop read an augment.Loader: the glue
// that keeps engine and augment unaware of each other.
type loaderSource struct{ l *augment.Loader }

func (s loaderSource) Batches() int { return s.l.NumBatches() }

func (s loaderSource) Epoch(ctx context.Context, epoch, skip int) engine.BatchIter {
	return &loaderIter{it: s.l.Epoch(ctx, epoch), skip: skip}
}

type loaderIter struct {
	it   *augment.EpochIter
	skip int
}

// Next skips the batches a resumed epoch already trained on (the loader is
// deterministic, so they are the same batches), then passes batches on.
func (li *loaderIter) Next() (engine.Batch, error) {
	for ; li.skip > 0; li.skip-- {
		if _, err := li.it.Next(); err != nil {
			return nil, err
		}
	}
	b, err := li.it.Next()
	if err != nil {
		return nil, err // an untyped nil: a nil *augment.Batch would not be
	}
	return b, nil
}

func (li *loaderIter) Close() { li.it.Close() }
