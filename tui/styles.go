package tui

import "github.com/charmbracelet/lipgloss"

// Styles is the one set of styles every screen draws with, so the lab looks
// the same everywhere and NO_COLOR needs handling in one place.
type Styles struct {
	Title    lipgloss.Style
	Subtle   lipgloss.Style
	Label    lipgloss.Style
	Value    lipgloss.Style
	Selected lipgloss.Style
	Error    lipgloss.Style
	Box      lipgloss.Style
	Help     lipgloss.Style
}

// DefaultStyles builds the styles for a renderer; with NO_COLOR set the
// renderer's profile is ASCII and lipgloss drops colours, keeping layout.
func DefaultStyles(r *lipgloss.Renderer) Styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A78BFA"}
	subtle := lipgloss.AdaptiveColor{Light: "#6B7280", Dark: "#9CA3AF"}
	return Styles{
		Title:    r.NewStyle().Bold(true).Foreground(accent),
		Subtle:   r.NewStyle().Foreground(subtle),
		Label:    r.NewStyle().Foreground(subtle).Width(14),
		Value:    r.NewStyle().Bold(true),
		Selected: r.NewStyle().Bold(true).Reverse(true).Padding(0, 1),
		Error:    r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#B91C1C", Dark: "#F87171"}),
		Box:      r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(subtle).Padding(0, 1),
		Help:     r.NewStyle().Foreground(subtle),
	}
}
