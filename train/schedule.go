package train

import (
	"fmt"
	"math"
)

// ScheduleKind names how the learning rate moves over a fit after its
// warm-up.
type ScheduleKind string

// The schedules. Constant keeps the rate; step multiplies it by Gamma every
// Every epochs; cosine and linear decay it to zero at the end of the
// planned epochs (timm's and Keras's cosine decay, fastai's one-cycle tail).
const (
	ScheduleConstant ScheduleKind = "constant"
	ScheduleStep     ScheduleKind = "step"
	ScheduleCosine   ScheduleKind = "cosine"
	ScheduleLinear   ScheduleKind = "linear"
)

// ParseSchedule reads constant, step, cosine or linear ("" is constant).
func ParseSchedule(s string) (ScheduleKind, error) {
	switch k := ScheduleKind(s); k {
	case "":
		return ScheduleConstant, nil
	case ScheduleConstant, ScheduleStep, ScheduleCosine, ScheduleLinear:
		return k, nil
	}
	return "", fmt.Errorf("schedule %q: want constant, step, cosine or linear", s)
}

// Schedule shapes the learning rate over a fit: a linear warm-up from
// nearly zero over WarmupEpochs (fractional epochs allowed), then Kind.
// The rate is set per batch, so a resumed fit, which knows its epoch and
// batch, continues the curve exactly. ReduceLROnPlateau scales the base
// rate the schedule multiplies.
type Schedule struct {
	Kind         ScheduleKind
	WarmupEpochs float64
	Every        int     // step: epochs between decays
	Gamma        float64 // step: factor per decay (0 means 0.1)
}

// Factor is the multiplier of the base rate at batch step (0-based,
// counted over the whole fit) of a fit of total batches, perEpoch a epoch.
// Warm-up batch i of w gets (i+1)/w, as PyTorch's LinearLR from 1/w does.
func (s Schedule) Factor(step, perEpoch, total int) float64 {
	warm := int(math.Round(s.WarmupEpochs * float64(perEpoch)))
	if step < warm {
		return float64(step+1) / float64(warm)
	}
	span := total - warm
	p := 0.0
	if span > 0 {
		p = math.Min(float64(step-warm)/float64(span), 1)
	}
	switch s.Kind {
	case ScheduleStep:
		gamma := s.Gamma
		if gamma == 0 {
			gamma = 0.1
		}
		if s.Every <= 0 || perEpoch <= 0 {
			return 1
		}
		return math.Pow(gamma, float64(step/perEpoch/s.Every))
	case ScheduleCosine:
		return 0.5 * (1 + math.Cos(math.Pi*p))
	case ScheduleLinear:
		return 1 - p
	}
	return 1
}

// Validate says what is wrong with the schedule's settings.
func (s Schedule) Validate() error {
	if _, err := ParseSchedule(string(s.Kind)); err != nil {
		return err
	}
	if s.WarmupEpochs < 0 || math.IsNaN(s.WarmupEpochs) || math.IsInf(s.WarmupEpochs, 0) {
		return fmt.Errorf("warm-up %v epochs: want 0 or more", s.WarmupEpochs)
	}
	if s.Kind == ScheduleStep && s.Every < 1 {
		return fmt.Errorf("step schedule every %d epochs: want 1 or more", s.Every)
	}
	if s.Gamma < 0 || s.Gamma >= 1 && s.Gamma != 0 {
		return fmt.Errorf("step schedule factor %v: want between 0 and 1", s.Gamma)
	}
	return nil
}
