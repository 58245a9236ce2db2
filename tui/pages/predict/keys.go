package predict

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/reslab/reslab/tui/common"
)

// KeyMap is the predict page's bindings: the lab's shared ones (moving, dialogs)
// and this page's own, which no other page reads, so a key means one
// thing here whatever it means elsewhere. Dispatch and the help bar read
// the same bindings.
type KeyMap struct {
	*common.KeyMap
	NextDiff key.Binding
	PrevDiff key.Binding
	RunA     key.Binding
	RunB     key.Binding
	Path     key.Binding
	Split    key.Binding
}

// DefaultKeyMap is the page's bindings on top of the lab's.
func DefaultKeyMap(shared *common.KeyMap) KeyMap {
	b := common.Bind
	return KeyMap{
		KeyMap:   shared,
		NextDiff: b([]string{"n"}, "n", "next disagreement"),
		PrevDiff: b([]string{"N"}, "N", "previous disagreement"),
		RunA:     b([]string{"a"}, "a", "choose run"),
		RunB:     b([]string{"b"}, "b", "second run"),
		Path:     b([]string{"o"}, "o", "open a file"),
		Split:    b([]string{"t"}, "t", "validation/test split"),
	}
}
