// Package tui is reslab's face: the bubbletea models, screens, key map and
// styles of the terminal lab. It drives experiments and reads the run store;
// it holds no training logic of its own.
package tui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/reslab/reslab/engine"
)

// Options configure the lab.
type Options struct {
	RunsDir string
	// DataDir is the image folder; "" means the built-in demo data set.
	DataDir string
	// DataSummary describes the data set in one line, or why it cannot be used.
	DataSummary string
	// Classes is the number of classes of the data set (for estimates).
	Classes int
	Input   io.Reader
	Output  io.Writer
}

// Model is the lab's root model.
type Model struct {
	opts          Options
	styles        Styles
	keys          KeyMap
	help          help.Model
	width, height int
	depthIndex    int
}

// New returns the lab's root model.
func New(opts Options, r *lipgloss.Renderer) Model {
	if opts.Classes < 2 {
		opts.Classes = 10
	}
	h := help.New()
	st := DefaultStyles(r)
	h.Styles.ShortKey = st.Help
	h.Styles.ShortDesc = st.Help
	h.Styles.FullKey = st.Help
	h.Styles.FullDesc = st.Help
	return Model{opts: opts, styles: st, keys: DefaultKeyMap(), help: h, width: 80, height: 24, depthIndex: 2}
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd { return nil }

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.keys.Quit):
			return m, tea.Quit
		case key.Matches(msg, m.keys.Help):
			m.help.ShowAll = !m.help.ShowAll
		case key.Matches(msg, m.keys.Left):
			m.depthIndex = max(m.depthIndex-1, 0)
		case key.Matches(msg, m.keys.Right):
			m.depthIndex = min(m.depthIndex+1, len(engine.Depths)-1)
		}
	}
	return m, nil
}

// config is the network the home screen describes.
func (m Model) config() engine.Config {
	cfg := engine.DefaultConfig(m.opts.Classes)
	cfg.Depth = engine.Depths[m.depthIndex]
	return cfg
}

// View implements tea.Model.
func (m Model) View() string {
	s := m.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("reslab") + s.Subtle.Render(" — residual networks in the terminal") + "\n\n")
	row := func(label, value string) {
		b.WriteString(s.Label.Render(label) + value + "\n")
	}
	data := m.opts.DataDir
	if data == "" {
		data = "built-in demo data set"
	}
	row("data", s.Value.Render(data))
	if m.opts.DataSummary != "" {
		row("", m.opts.DataSummary)
	}
	row("runs", s.Value.Render(m.opts.RunsDir))
	b.WriteString("\n")

	var depths []string
	for i, d := range engine.Depths {
		label := fmt.Sprintf("ResNet-%d", d)
		if i == m.depthIndex {
			depths = append(depths, s.Selected.Render(label))
		} else {
			depths = append(depths, " "+label+" ")
		}
	}
	row("depth", strings.Join(depths, " "))
	cfg := m.config()
	params := fmt.Sprintf("%.1f M", float64(engine.ParamCount(cfg))/1e6)
	row("parameters", params+s.Subtle.Render(fmt.Sprintf("  (224 px, head %s, %d classes)", engine.HeadString(cfg.Hidden), cfg.Classes)))
	row("memory", fmt.Sprintf("%.1f GB", float64(engine.EstimateMemory(cfg, 8))/1e9)+s.Subtle.Render(" predicted peak, batch 8"))
	b.WriteString("\n" + s.Subtle.Render("Training, runs, comparison and prediction screens arrive with the next issues;") + "\n")
	b.WriteString(s.Subtle.Render("meanwhile: reslab predict, reslab bench, reslab augment (reslab help).") + "\n")

	body := s.Box.Width(max(m.width-2, 20)).Render(strings.TrimRight(b.String(), "\n"))
	helpView := m.help.View(m.keys)
	gap := m.height - lipgloss.Height(body) - lipgloss.Height(helpView)
	if gap < 0 {
		gap = 0
	}
	return body + strings.Repeat("\n", gap) + "\n" + helpView
}

// Run opens the lab on the terminal and returns when the user quits or ctx
// is cancelled.
func Run(ctx context.Context, opts Options) error {
	r := lipgloss.NewRenderer(opts.Output)
	p := tea.NewProgram(New(opts, r), tea.WithContext(ctx), tea.WithAltScreen(),
		tea.WithInput(opts.Input), tea.WithOutput(opts.Output))
	_, err := p.Run()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
