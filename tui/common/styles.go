package common

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/muesli/termenv"
)

// Styles is the one set of styles every screen draws with, so the lab looks
// the same everywhere and NO_COLOR needs handling in one place. Nothing the
// user must see is carried by colour alone: cursors, marks and states also
// have characters, so the ASCII profile (NO_COLOR) is plain but complete.
type Styles struct {
	Renderer *lipgloss.Renderer

	Title     lipgloss.Style
	Tab       lipgloss.Style
	TabActive lipgloss.Style
	Subtle    lipgloss.Style
	Label     lipgloss.Style
	Value     lipgloss.Style
	Selected  lipgloss.Style // the cursor's row or field
	Marked    lipgloss.Style // runs marked for comparison
	Header    lipgloss.Style // table headers
	Error     lipgloss.Style
	Good      lipgloss.Style
	Warn      lipgloss.Style
	Box       lipgloss.Style
	Help      lipgloss.Style
	HelpKey   lipgloss.Style
	BarFull   lipgloss.Style
	BarEmpty  lipgloss.Style

	// Series are the chart colours, one per series; nil without colour.
	Series []asciigraph.AnsiColor
	// RawSeries is the faint colour of unsmoothed values behind a
	// smoothed curve.
	RawSeries asciigraph.AnsiColor
}

// DefaultStyles builds the styles for a renderer; with NO_COLOR set the
// renderer's profile is ASCII and lipgloss drops colours and attributes,
// keeping layout.
func DefaultStyles(r *lipgloss.Renderer) *Styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A78BFA"}
	subtle := lipgloss.AdaptiveColor{Light: "#6B7280", Dark: "#9CA3AF"}
	red := lipgloss.AdaptiveColor{Light: "#B91C1C", Dark: "#F87171"}
	green := lipgloss.AdaptiveColor{Light: "#15803D", Dark: "#4ADE80"}
	amber := lipgloss.AdaptiveColor{Light: "#B45309", Dark: "#FBBF24"}
	s := &Styles{
		Renderer:  r,
		Title:     r.NewStyle().Bold(true).Foreground(accent),
		Tab:       r.NewStyle().Foreground(subtle),
		TabActive: r.NewStyle().Bold(true).Foreground(accent).Underline(true),
		Subtle:    r.NewStyle().Foreground(subtle),
		Label:     r.NewStyle().Foreground(subtle),
		Value:     r.NewStyle().Bold(true),
		Selected:  r.NewStyle().Bold(true).Foreground(accent),
		Marked:    r.NewStyle().Foreground(amber),
		Header:    r.NewStyle().Bold(true).Foreground(subtle),
		Error:     r.NewStyle().Foreground(red),
		Good:      r.NewStyle().Foreground(green),
		Warn:      r.NewStyle().Foreground(amber),
		Box:       r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(subtle).Padding(0, 1),
		Help:      r.NewStyle().Foreground(subtle),
		HelpKey:   r.NewStyle().Foreground(accent),
		BarFull:   r.NewStyle().Foreground(accent),
		BarEmpty:  r.NewStyle().Foreground(subtle),
	}
	if r.ColorProfile() != termenv.Ascii {
		s.RawSeries = asciigraph.DimGray
		s.Series = []asciigraph.AnsiColor{asciigraph.DodgerBlue, asciigraph.Orange, asciigraph.LimeGreen,
			asciigraph.HotPink, asciigraph.Gold, asciigraph.MediumPurple}
	}
	return s
}

// Colour reports whether the renderer draws colours at all.
func (s *Styles) Colour() bool { return s.Renderer.ColorProfile() != termenv.Ascii }
