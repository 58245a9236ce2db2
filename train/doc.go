// Package train is the model-agnostic training loop: Fit runs epochs of
// batches through a Learner, validates after each, and applies the
// callbacks Keras users know (best-checkpoint monitor, early stopping,
// reduce-on-plateau). It reports progress as Events on a channel and
// persists through Hooks, so a display or a store attaches from outside and
// the loop knows neither.
//
// A fit is resumable: FitState holds where it stands, what the callbacks
// remember and the partial epoch, and given deterministic BatchSources a
// resumed fit reaches exactly the uninterrupted result.
//
// It must not import gorgonia, resnet, the data packages or any UI: models
// implement Learner, data sources implement BatchSource.
package train
