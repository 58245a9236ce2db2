package common

import (
	"strings"
	"testing"
)

// A status line drops its last items whole; a key-value block wraps its
// pairs; neither ends in a cut word (the run screen read "· this …" at 80
// columns, the run details cut their settings).
func TestJoinFitAndPackNeverCutAPart(t *testing.T) {
	parts := []string{"lr 0.003", "best val_acc 48.0% (epoch 2)", "patience 4/4 left", "this epoch: loss 0.9000 acc 55.0%"}
	if got, want := JoinFit(parts, " · ", 64), "lr 0.003 · best val_acc 48.0% (epoch 2) · patience 4/4 left"; got != want {
		t.Errorf("JoinFit = %q, want %q", got, want)
	}
	if got := JoinFit(parts, " · ", 200); got != strings.Join(parts, " · ") {
		t.Errorf("JoinFit at 200 = %q", got)
	}
	if got := JoinFit(parts, " · ", 5); got != "lr 0…" {
		t.Errorf("JoinFit of a first part too wide = %q", got)
	}
	got := Pack(parts, "  ", 40)
	want := "lr 0.003  best val_acc 48.0% (epoch 2)\npatience 4/4 left\nthis epoch: loss 0.9000 acc 55.0%"
	if got != want {
		t.Errorf("Pack =\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(got, "…") {
		t.Errorf("Pack cut a part:\n%s", got)
	}
}
