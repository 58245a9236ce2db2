package compare

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/reslab/reslab/tui/common"
)

// KeyMap is the comparison's bindings: the lab's shared ones (moving, dialogs)
// and this page's own, which no other page reads, so a key means one
// thing here whatever it means elsewhere. Dispatch and the help bar read
// the same bindings.
type KeyMap struct {
	*common.KeyMap
	Metric key.Binding
	Save   key.Binding
	Smooth key.Binding
	Log    key.Binding
	XAxis  key.Binding
	ToPred key.Binding
	Diff   key.Binding
}

// DefaultKeyMap is the page's bindings on top of the lab's.
func DefaultKeyMap(shared *common.KeyMap) KeyMap {
	b := common.Bind
	return KeyMap{
		KeyMap: shared,
		Metric: b([]string{"tab", "shift+tab", "left", "right", "h", "l"}, "tab/←/→", "metric"),
		Save:   b([]string{"s"}, "s", "save as…"),
		Smooth: b([]string{"m"}, "m", "smoothing"),
		Log:    b([]string{"L"}, "L", "log scale"),
		XAxis:  b([]string{"x"}, "x", "time axis"),
		ToPred: b([]string{"p"}, "p", "predict"),
		Diff:   b([]string{"d"}, "d", "differences"),
	}
}
