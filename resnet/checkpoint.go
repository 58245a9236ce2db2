package resnet

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/reslab/reslab/internal/atomicfile"
	"github.com/reslab/reslab/internal/safetensors"
	"github.com/reslab/reslab/resnet/kernel"
	"github.com/reslab/reslab/train"
)

// SaveResumeState writes the optimiser's state and the fit state to path
// (safetensors, the state as JSON metadata), atomically. With the weights in
// a checkpoint beside it, this is everything a resumed run needs.
func (m *Model) SaveResumeState(path string, st train.FitState) error {
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tensors := map[string][]float32{}
	for n, t := range m.opt.stateTensors() {
		tensors[n] = kernel.Floats(t)
	}
	for n, v := range m.emaTensors() {
		tensors[n] = v
	}
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]safetensors.Tensor, 0, len(names))
	for _, n := range names {
		list = append(list, safetensors.F32(n, []int{len(tensors[n])}, tensors[n]))
	}
	meta := map[string]string{"fit_state": string(js), "adam_steps": strconv.Itoa(m.opt.steps), "optimizer": string(m.opt.Kind),
		"ema_updates": strconv.Itoa(m.emaUpdates()),
		"lr":          strconv.FormatFloat(m.opt.LR, 'g', -1, 64), "weight_decay": strconv.FormatFloat(m.opt.WeightDecay, 'g', -1, 64)}
	return atomicfile.Write(path, func(f *os.File) error { return safetensors.Write(f, list, meta) })
}

// LoadResumeState restores the optimiser's state from path and returns the
// fit state to pass as FitOptions.Resume.
func (m *Model) LoadResumeState(path string) (train.FitState, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return train.FitState{}, fmt.Errorf("reading resume state: %w", err)
	}
	var st train.FitState
	if err := json.Unmarshal([]byte(f.Metadata["fit_state"]), &st); err != nil {
		return train.FitState{}, fmt.Errorf("%s: fit state: %w", path, err)
	}
	sizes := map[string]int{}
	for _, p := range m.net.params {
		sizes[p.Name] = p.Shape().TotalSize()
	}
	state := map[string]map[string][]float32{}
	average := map[string][]float32{}
	for _, t := range f.Tensors {
		if rest, isEMA := strings.CutPrefix(t.Name, "ema."); isEMA {
			v, err := t.Float32s()
			if err != nil {
				return train.FitState{}, fmt.Errorf("%s: %w", path, err)
			}
			average[rest] = v
			continue
		}
		name, slot, ok := cutLast(t.Name)
		if !ok {
			return train.FitState{}, fmt.Errorf("%s: unexpected tensor %s", path, t.Name)
		}
		v, err := t.Float32s()
		if err != nil {
			return train.FitState{}, fmt.Errorf("%s: %w", path, err)
		}
		if sizes[name] != len(v) {
			return train.FitState{}, fmt.Errorf("%w: %s: %s has %d values, the model's %s has %d", ErrWeights, path, t.Name, len(v), name, sizes[name])
		}
		if state[name] == nil {
			state[name] = map[string][]float32{}
		}
		state[name][slot] = v
	}
	if err := m.opt.setState(state, path); err != nil {
		return train.FitState{}, err
	}
	updates, _ := strconv.Atoi(f.Metadata["ema_updates"])
	if err := m.setEMA(average, updates, path); err != nil {
		return train.FitState{}, err
	}
	m.opt.steps = st.OptimizerSteps
	return st, nil
}

func cutLast(name string) (prefix, last string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}
