package train

import "math"

// Monitor tracks the best value of a metric; the early-stopping, checkpoint
// and plateau callbacks each keep one.
type Monitor struct {
	Metric    string  `json:"metric"`
	MinDelta  float64 `json:"min_delta"`
	Best      float64 `json:"best"`
	BestEpoch int     `json:"best_epoch"`
	Wait      int     `json:"wait"` // epochs since the last improvement
}

// Improves reports whether v beats the best value by more than MinDelta:
// the one rule for "is this epoch better" that checkpoints, early stopping,
// plateaus and every screen that replays a history share.
func (m *Monitor) Improves(v float64) bool {
	if m.BestEpoch == 0 {
		return true
	}
	if Minimised(m.Metric) {
		return v < m.Best-m.MinDelta
	}
	return v > m.Best+m.MinDelta
}

// Observe records an epoch's value and says whether it improved.
func (m *Monitor) Observe(epoch int, v float64) bool {
	if m.Improves(v) {
		m.Best, m.BestEpoch, m.Wait = v, epoch, 0
		return true
	}
	m.Wait++
	return false
}

// Replay runs a history through a fresh monitor of the metric: its best
// value and epoch, and the epochs since it last improved (early stopping's
// wait). Epochs without the metric are skipped.
func Replay(history []EpochMetrics, metric string, minDelta float64) Monitor {
	m := Monitor{Metric: metric, MinDelta: minDelta}
	for _, e := range history {
		if v, err := e.Value(metric); err == nil {
			m.Observe(e.Epoch, v)
		}
	}
	return m
}

// EarlyStopping stops training when the monitored metric has not improved
// for Patience epochs (Keras's EarlyStopping).
type EarlyStopping struct {
	Monitor
	Patience int `json:"patience"`
}

// ReduceLROnPlateau multiplies the learning rate by Factor when the metric
// has not improved for Patience epochs, down to MinLR.
type ReduceLROnPlateau struct {
	Monitor
	Patience int     `json:"patience"`
	Factor   float64 `json:"factor"`
	MinLR    float64 `json:"min_lr"`
}

// endEpoch runs the callbacks on a finished epoch: it says whether the
// checkpoint monitor improved (save "best") and whether early stopping
// fires, and lowers the learning rate on a plateau.
func (s *FitState) endEpoch(metrics EpochMetrics) (best, stop bool) {
	v, _ := metrics.Value(s.Best.Metric)
	best = s.Best.Observe(metrics.Epoch, v)
	if p := s.Plateau; p != nil {
		pv, _ := metrics.Value(p.Metric)
		if !p.Observe(metrics.Epoch, pv) && p.Wait >= p.Patience {
			s.LR = math.Max(s.LR*p.Factor, p.MinLR)
			p.Wait = 0
		}
	}
	if e := s.Early; e != nil {
		ev, _ := metrics.Value(e.Metric)
		if !e.Observe(metrics.Epoch, ev) && e.Wait >= e.Patience {
			stop = true
		}
	}
	return best, stop
}
