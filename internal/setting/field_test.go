package setting

import (
	"errors"
	"testing"
)

func TestNameRenameAndLeaves(t *testing.T) {
	kind := errors.New("invalid")
	joined := errors.Join(Errorf("input_size", kind, "input size %d: want 32 to 1024", 7), errors.New("no setting"))
	leaves := Leaves(joined)
	if len(leaves) != 2 {
		t.Fatalf("%d leaves, want 2", len(leaves))
	}
	if Name(leaves[0]) != "input_size" || Name(leaves[1]) != "" {
		t.Fatalf("names %q, %q", Name(leaves[0]), Name(leaves[1]))
	}
	renamed := Rename(leaves[0], map[string]string{"input_size": "size"})
	if Name(renamed) != "size" || !errors.Is(renamed, kind) || renamed.Error() != "invalid: input size 7: want 32 to 1024" {
		t.Fatalf("renamed: %q named %q", renamed, Name(renamed))
	}
	if Rename(leaves[1], map[string]string{"": "x"}) != leaves[1] {
		t.Fatal("an error without a setting changed on rename")
	}
}
