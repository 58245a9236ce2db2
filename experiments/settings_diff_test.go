package experiments

import (
	"reflect"
	"strconv"
	"testing"
)

// Only what differs is listed, in spec.json's names, nested ones joined
// with '.', a setting one spec leaves out as "-"; the summary table's own
// columns (name, data, arch…) are not repeated.
func TestDifferingSettings(t *testing.T) {
	a := DefaultSpec()
	b := a
	b.LR, b.Name, b.Width = a.LR*10, "other", a.Width*2
	b.Augment.Rotation = a.Augment.Rotation + 5
	b.WeightDecay = 0.05
	c := a
	got, err := DifferingSettings([]Spec{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	want := []SettingDiff{
		{Setting: "augment.rotation", Values: []string{ftoa(a.Augment.Rotation), ftoa(b.Augment.Rotation), ftoa(a.Augment.Rotation)}},
		{Setting: "lr", Values: []string{ftoa(a.LR), ftoa(b.LR), ftoa(a.LR)}},
		{Setting: "weight_decay", Values: []string{"-", "0.05", "-"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("differing settings\n got %+v\nwant %+v", got, want)
	}
	if got, _ := DifferingSettings([]Spec{a, a}); len(got) != 0 {
		t.Errorf("identical specs differ in %+v", got)
	}
	if got, _ := DifferingSettings([]Spec{a}); len(got) != 0 {
		t.Errorf("one spec differs in %+v", got)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
