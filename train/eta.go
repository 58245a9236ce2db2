package train

import (
	"math"
	"slices"
)

// ETA estimates the seconds left in the epoch in progress and in the whole
// run from the latest step and the finished epochs. The run's remaining
// epochs are priced at a recent epoch's duration (the median of the last
// five, leaving out the first epoch once others exist: it also decodes and
// caches the data), so one slow or interrupted epoch does not skew it.
// ok is false until a step has been timed.
func ETA(s StepEvent, hist []EpochMetrics, trainImages, validImages int) (epochLeft, runLeft float64, ok bool) {
	if s.Step <= 0 || s.Elapsed <= 0 || s.Steps <= 0 {
		return 0, 0, false
	}
	perBatch := s.Elapsed / float64(s.Step)
	trainLeft := float64(max(s.Steps-s.Step, 0)) * perBatch
	// Validation runs at about three times the training speed (no
	// backward pass) until a finished epoch says what it took.
	valid := float64(validImages) / math.Max(s.ImagesPerSec*3, 1e-9)
	epoch := float64(s.Steps)*perBatch + valid
	if recent := recentEpochs(hist); len(recent) > 0 {
		secs := make([]float64, len(recent))
		for i, m := range recent {
			secs[i] = m.Seconds
		}
		slices.Sort(secs)
		epoch = secs[len(secs)/2]
		if last := hist[len(hist)-1]; last.ImagesPerSec > 0 && trainImages > 0 {
			valid = math.Max(last.Seconds-float64(trainImages)/last.ImagesPerSec, 0)
		}
	}
	epochLeft = trainLeft + valid
	return epochLeft, epochLeft + float64(max(s.Epochs-s.Epoch, 0))*epoch, true
}

// recentEpochs are the last five finished epochs, without the first once
// there is another.
func recentEpochs(hist []EpochMetrics) []EpochMetrics {
	if len(hist) > 1 && hist[0].Epoch <= 1 {
		hist = hist[1:]
	}
	return hist[max(len(hist)-5, 0):]
}
