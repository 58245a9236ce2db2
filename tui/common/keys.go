package common

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding of the lab. Screens pick theirs from it and
// the help bar shows them; one map keeps the keys consistent between
// screens.
type KeyMap struct {
	// Everywhere.
	Quit    key.Binding
	Help    key.Binding
	Back    key.Binding
	Screens key.Binding // 1-5: jump to a screen (help only)
	Setup   key.Binding
	RunTab  key.Binding
	Runs    key.Binding
	Compare key.Binding
	Predict key.Binding

	// Moving.
	Up, Down, Left, Right key.Binding
	Next, Prev            key.Binding
	PageUp, PageDown      key.Binding
	Top, Bottom           key.Binding

	// Setup.
	Start key.Binding
	Cycle key.Binding // ←/→ on a choice (help only)
	Clear key.Binding // ctrl+u in a text field (help only)

	// Run.
	Stop   key.Binding
	Smooth key.Binding
	Log    key.Binding
	XAxis  key.Binding

	// Runs.
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

	// Compare.
	Metric key.Binding
	Save   key.Binding

	// Predict.
	NextDiff key.Binding
	PrevDiff key.Binding
	RunA     key.Binding
	RunB     key.Binding
	Path     key.Binding
	Split    key.Binding

	// Dialogs.
	Yes key.Binding
	No  key.Binding
}

// DefaultKeyMap is the lab's bindings.
func DefaultKeyMap() *KeyMap {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return &KeyMap{
		Quit:    b([]string{"q", "ctrl+c"}, "q", "quit"),
		Help:    b([]string{"?"}, "?", "help"),
		Back:    b([]string{"esc"}, "esc", "back"),
		Screens: b([]string{"1", "2", "3", "4", "5"}, "1-5", "screens"),
		Setup:   b([]string{"1"}, "1", "setup"),
		RunTab:  b([]string{"2"}, "2", "run"),
		Runs:    b([]string{"3"}, "3", "runs"),
		Compare: b([]string{"4"}, "4", "compare"),
		Predict: b([]string{"5"}, "5", "predict"),

		Up:       b([]string{"up", "k"}, "↑/k", "up"),
		Down:     b([]string{"down", "j"}, "↓/j", "down"),
		Left:     b([]string{"left", "h"}, "←/h", "left"),
		Right:    b([]string{"right", "l"}, "→/l", "right"),
		Next:     b([]string{"tab"}, "tab", "next"),
		Prev:     b([]string{"shift+tab"}, "shift+tab", "previous"),
		PageUp:   b([]string{"pgup", "ctrl+b"}, "pgup", "page up"),
		PageDown: b([]string{"pgdown", "ctrl+f"}, "pgdn", "page down"),
		Top:      b([]string{"home", "g"}, "g", "first"),
		Bottom:   b([]string{"end", "G"}, "G", "last"),

		Start: b([]string{"enter"}, "enter", "start training"),
		Cycle: b([]string{"left", "right"}, "←/→", "change choice"),
		Clear: b([]string{"ctrl+u"}, "ctrl+u", "clear field"),

		Stop:   b([]string{"s"}, "s", "stop & save"),
		Smooth: b([]string{"m"}, "m", "smoothing"),
		Log:    b([]string{"L"}, "L", "log scale"),
		XAxis:  b([]string{"x"}, "x", "x axis epochs/time"),

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

		Metric: b([]string{"tab", "shift+tab", "left", "right", "h", "l"}, "tab/←/→", "metric"),
		Save:   b([]string{"s"}, "s", "save as…"),

		NextDiff: b([]string{"n"}, "n", "next disagreement"),
		PrevDiff: b([]string{"N"}, "N", "previous disagreement"),
		RunA:     b([]string{"a"}, "a", "choose run"),
		RunB:     b([]string{"b"}, "b", "second run"),
		Path:     b([]string{"o"}, "o", "open a file"),
		Split:    b([]string{"t"}, "t", "validation/test split"),

		Yes: b([]string{"y", "Y"}, "y", "yes"),
		No:  b([]string{"n", "N", "esc"}, "n", "no"),
	}
}

// Bindings is a help.KeyMap built from a screen's short and full lists.
type Bindings struct {
	Short []key.Binding
	Full  [][]key.Binding
}

// ShortHelp implements help.KeyMap.
func (b Bindings) ShortHelp() []key.Binding { return b.Short }

// FullHelp implements help.KeyMap.
func (b Bindings) FullHelp() [][]key.Binding { return b.Full }

// Hint is a help entry for keys a screen handles itself.
func Hint(keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
}
