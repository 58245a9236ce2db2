package setup

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/reslab/reslab/tui/common"
)

// KeyMap is the setup form's bindings: the lab's shared ones (moving, dialogs)
// and this page's own, which no other page reads, so a key means one
// thing here whatever it means elsewhere. Dispatch and the help bar read
// the same bindings.
type KeyMap struct {
	*common.KeyMap
	Start key.Binding
	Cycle key.Binding
	Clear key.Binding
	// FindLR runs the learning-rate range test and puts its suggestion
	// into the form.
	FindLR key.Binding
}

// DefaultKeyMap is the page's bindings on top of the lab's.
func DefaultKeyMap(shared *common.KeyMap) KeyMap {
	b := common.Bind
	return KeyMap{
		KeyMap: shared,
		Start:  b([]string{"enter"}, "enter", "start training"),
		Cycle:  b([]string{"left", "right"}, "←/→", "change choice"),
		Clear:  b([]string{"ctrl+u"}, "ctrl+u", "clear field"),
		FindLR: b([]string{"ctrl+l"}, "ctrl+l", "find a learning rate"),
	}
}
