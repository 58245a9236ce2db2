package experiments

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// SettingDiff is one setting whose value is not the same in every run
// compared: its name as spec.json spells it (augment.rotation for a nested
// one) and each run's value, "-" where a run's spec leaves it unset.
type SettingDiff struct {
	Setting string   `json:"setting"`
	Values  []string `json:"values"`
}

// summaryColumns are the settings the summary table already has a column
// for (SummaryRows): DifferingSettings leaves them out, so a setting is
// told once.
var summaryColumns = map[string]bool{"name": true, "data": true, "data_as_given": true, "arch": true, "width": true, "size": true, "mode": true}

// DifferingSettings are the settings of the specs that are not the same in
// every one (learning rate, optimiser, augmentation, seed…), in spec.json's
// names and sorted by them; the summary table's own columns are left out.
// One spec, or specs that agree, give none.
func DifferingSettings(specs []Spec) ([]SettingDiff, error) {
	if len(specs) < 2 {
		return nil, nil
	}
	flat := make([]map[string]string, len(specs))
	keys := map[string]bool{}
	for i, s := range specs {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("settings of run %d: %w", i+1, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("settings of run %d: %w", i+1, err)
		}
		flat[i] = map[string]string{}
		flatten("", m, flat[i])
		for k := range flat[i] {
			keys[k] = true
		}
	}
	var out []SettingDiff
	for k := range keys {
		if summaryColumns[k] {
			continue
		}
		d := SettingDiff{Setting: k, Values: make([]string, len(specs))}
		same := true
		for i, m := range flat {
			v, ok := m[k]
			if !ok {
				v = "-"
			}
			d.Values[i] = v
			if v != d.Values[0] {
				same = false
			}
		}
		if !same {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Setting < out[j].Setting })
	return out, nil
}

// flatten writes a decoded JSON object's leaves as name → value, nested
// objects' names joined with '.'.
func flatten(prefix string, m map[string]any, out map[string]string) {
	for k, v := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch v := v.(type) {
		case map[string]any:
			flatten(name, v, out)
		case float64:
			out[name] = strconv.FormatFloat(v, 'g', 6, 64)
		case string:
			if v == "" {
				v = `""`
			}
			out[name] = v
		case nil:
			out[name] = "-"
		default:
			b, _ := json.Marshal(v)
			out[name] = string(b)
		}
	}
}
