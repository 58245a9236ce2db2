package experiments

import (
	"context"

	"github.com/reslab/reslab/train"
)

// FindLR runs a learning-rate range test for spec (train.FindLR) on a
// model of its own, built and initialised as a run of spec would be, then
// thrown away: no run, file or other model changes.
func (r *Runner) FindLR(ctx context.Context, spec Spec, o train.LRFindOptions) (train.LRFindResult, error) {
	p, err := r.prepare(ctx, spec)
	if err != nil {
		return train.LRFindResult{}, err
	}
	defer p.model.Close()
	if _, err := initialWeights(p.model, spec.Weights); err != nil {
		return train.LRFindResult{}, err
	}
	return train.FindLR(ctx, p.model, loaderSource{p.train}, o)
}
