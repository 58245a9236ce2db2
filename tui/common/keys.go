package common

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the lab's shared bindings: the ones the root model handles on
// every page (quit, help, back, 1-5) and the ones several pages use alike
// (moving, dialogs). Each page adds its own in its KeyMap, so a letter
// means one thing on a page (s stops a run on the run page, sorts on the
// runs page, saves on the compare page) and the help bar says that meaning.
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
	Refresh key.Binding // re-read the runs folder now

	// Moving.
	Up, Down, Left, Right key.Binding
	Next, Prev            key.Binding
	PageUp, PageDown      key.Binding
	Top, Bottom           key.Binding

	// Dialogs.
	Yes key.Binding
	No  key.Binding
}

// Bind is a binding of keys shown in help as k, doing help.
func Bind(keys []string, k, help string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
}

// DefaultKeyMap is the lab's bindings.
func DefaultKeyMap() *KeyMap {
	b := Bind
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
		Refresh: b([]string{"ctrl+r"}, "ctrl+r", "re-read runs"),

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
