package components

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"

	"github.com/reslab/reslab/tui/common"
)

// NewInput is a one-line text field in the lab's style: no prompt, a
// steady cursor (no blinking, so views stay still and redraws few).
func NewInput(st *common.Styles) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	r := st.Renderer
	ti.TextStyle = r.NewStyle()
	ti.PromptStyle = r.NewStyle()
	ti.PlaceholderStyle = st.Subtle
	ti.Cursor.Style = r.NewStyle()
	ti.Cursor.TextStyle = r.NewStyle()
	ti.Cursor.SetMode(cursor.CursorStatic) // no blinking: steady views, fewer redraws
	ti.CharLimit = 512
	return ti
}
