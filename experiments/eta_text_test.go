package experiments

import "testing"

// The run's time left comes first; the epoch's is beside it only while
// another epoch follows and this one has a second or more to go (at
// epoch 154 of 400 with epochs under a second, the lab read
// "ETA 0s (run 34s)").
func TestETAText(t *testing.T) {
	for _, c := range []struct {
		epoch, run float64
		want       string
	}{
		{0.2, 34, "ETA 34s"},
		{5, 65, "ETA 1m05s (epoch 5s)"},
		{12, 12.3, "ETA 12s"}, // the last epoch: the run's is the epoch's
		{1.4, 7, "ETA 7s (epoch 1s)"},
		{30, 4000, "ETA 1h06m (epoch 30s)"},
	} {
		if got := ETA(c.epoch, c.run); got != c.want {
			t.Errorf("ETA(%v, %v) = %q, want %q", c.epoch, c.run, got, c.want)
		}
	}
}
