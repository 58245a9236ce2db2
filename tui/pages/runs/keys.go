package runs

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/reslab/reslab/tui/common"
)

// KeyMap is the runs table's bindings: the lab's shared ones (moving, dialogs)
// and this page's own, which no other page reads, so a key means one
// thing here whatever it means elsewhere. Dispatch and the help bar read
// the same bindings.
type KeyMap struct {
	*common.KeyMap
	Mark    key.Binding
	Open    key.Binding
	Resume  key.Binding
	Delete  key.Binding
	Filter  key.Binding
	Sort    key.Binding
	Reverse key.Binding
	New     key.Binding
	ToComp  key.Binding
	ToPred  key.Binding
	Reuse   key.Binding
}

// DefaultKeyMap is the page's bindings on top of the lab's.
func DefaultKeyMap(shared *common.KeyMap) KeyMap {
	b := common.Bind
	return KeyMap{
		KeyMap:  shared,
		Mark:    b([]string{" "}, "space", "mark"),
		Open:    b([]string{"enter"}, "enter", "details"),
		Resume:  b([]string{"r"}, "r", "resume"),
		Delete:  b([]string{"d"}, "d", "delete"),
		Filter:  b([]string{"/"}, "/", "filter"),
		Sort:    b([]string{"s"}, "s", "sort column"),
		Reverse: b([]string{"S"}, "S", "reverse sort"),
		New:     b([]string{"n"}, "n", "new run"),
		ToComp:  b([]string{"c"}, "c", "compare marked"),
		ToPred:  b([]string{"p"}, "p", "predict"),
		Reuse:   b([]string{"w"}, "w", "new from weights"),
	}
}
