package train

import (
	"math"
	"testing"
)

// Each schedule's value at chosen batches, worked by hand: 10 batches an
// epoch, 10 epochs (100 batches), one warm-up epoch (10 batches).
func TestScheduleValues(t *testing.T) {
	const per, total = 10, 100
	for _, c := range []struct {
		s    Schedule
		step int
		want float64
	}{
		{Schedule{}, 0, 1},
		{Schedule{Kind: ScheduleConstant, WarmupEpochs: 1}, 0, 0.1}, // batch 1 of 10 warming up
		{Schedule{Kind: ScheduleConstant, WarmupEpochs: 1}, 4, 0.5},
		{Schedule{Kind: ScheduleConstant, WarmupEpochs: 1}, 9, 1},
		{Schedule{Kind: ScheduleConstant, WarmupEpochs: 1}, 99, 1},
		{Schedule{Kind: ScheduleCosine, WarmupEpochs: 1}, 10, 1},   // decay starts after warm-up
		{Schedule{Kind: ScheduleCosine, WarmupEpochs: 1}, 55, 0.5}, // halfway through the 90 decaying batches
		{Schedule{Kind: ScheduleCosine}, 50, 0.5},
		{Schedule{Kind: ScheduleCosine}, 25, 0.5 * (1 + math.Cos(math.Pi/4))},
		{Schedule{Kind: ScheduleLinear}, 75, 0.25},
		{Schedule{Kind: ScheduleLinear, WarmupEpochs: 1}, 55, 0.5},
		{Schedule{Kind: ScheduleStep, Every: 3}, 29, 1},   // the last batch of epoch 3: full rate
		{Schedule{Kind: ScheduleStep, Every: 3}, 30, 0.1}, // epoch 4 starts the first decay
		{Schedule{Kind: ScheduleStep, Every: 3, Gamma: 0.5}, 65, 0.25},
	} {
		if got := c.s.Factor(c.step, per, total); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v at batch %d: %v, want %v", c.s, c.step, got, c.want)
		}
	}
	for _, bad := range []Schedule{{Kind: "exp"}, {WarmupEpochs: -1}, {Kind: ScheduleStep}, {Kind: ScheduleStep, Every: 2, Gamma: 2}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}
