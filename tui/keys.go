package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding of the lab; screens pick theirs from it and
// the help bar shows them.
type KeyMap struct {
	Left, Right key.Binding
	Help        key.Binding
	Quit        key.Binding
}

// DefaultKeyMap is the lab's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Left:  key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "smaller")),
		Right: key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "deeper")),
		Help:  key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:  key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Left, k.Right, k.Help, k.Quit} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Left, k.Right}, {k.Help, k.Quit}}
}
