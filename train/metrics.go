package train

import (
	"fmt"
	"sort"
)

// EpochMetrics is one finished epoch. Train metrics are running averages over
// the epoch in training mode, as Keras reports them.
type EpochMetrics struct {
	Epoch     int     `json:"epoch"` // 1-based
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
	// ValLossRaw and ValAccRaw are the raw weights' validation when the
	// Val* figures are those of a weight average (EMA); 0 otherwise.
	ValLossRaw   float64 `json:"val_loss_raw,omitempty"`
	ValAccRaw    float64 `json:"val_acc_raw,omitempty"`
	ValTop5      float64 `json:"val_top5,omitempty"` // only with more than 5 classes
	LR           float64 `json:"lr"`
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_sec"`
	// DataWaitSeconds is the part of Seconds the loop spent waiting for the
	// loader's next batch (training and validation): what decoding and
	// augmentation did not hide behind the steps.
	DataWaitSeconds float64 `json:"data_wait_seconds"`
}

// Value returns the named metric ("val_loss", "val_acc", "train_loss",
// "train_acc", "val_top5").
func (e EpochMetrics) Value(name string) (float64, error) {
	switch name {
	case "val_loss":
		return e.ValLoss, nil
	case "val_acc":
		return e.ValAcc, nil
	case "val_top5":
		return e.ValTop5, nil
	case "train_loss":
		return e.TrainLoss, nil
	case "train_acc":
		return e.TrainAcc, nil
	case "lr":
		return e.LR, nil
	case "val_loss_raw":
		return e.ValLossRaw, nil
	case "val_acc_raw":
		return e.ValAccRaw, nil
	}
	return 0, fmt.Errorf("metric %q: want val_loss, val_acc, val_top5, train_loss, train_acc, lr, val_loss_raw or val_acc_raw", name)
}

// Minimised says whether smaller values of the metric are better.
func Minimised(metric string) bool { return metric == "val_loss" || metric == "train_loss" }

// ValPrediction is one validation image's result at an epoch.
type ValPrediction struct {
	Path  string
	Label int
	Probs []float32 // one per class
}

// inTopK says whether class y is among the k most probable.
func inTopK(probs []float32, y, k int) bool {
	if y < 0 || y >= len(probs) {
		return false
	}
	higher := 0
	for i, p := range probs {
		if p > probs[y] || (p == probs[y] && i < y) {
			higher++
		}
	}
	return higher < k
}

// TopK returns the indices of the k largest probabilities, largest first.
func TopK(probs []float32, k int) []int {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	return idx[:min(k, len(idx))]
}
