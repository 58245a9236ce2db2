package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
	"github.com/reslab/reslab/tui/common"
)

// findLRSteps is the lab's range test length: a few hundred batches.
const findLRSteps = 200

// findLR runs a learning-rate range test in the background, one at a time.
func (m *Model) findLR(spec experiments.Spec) tea.Cmd {
	if m.lrFinding != nil {
		return common.Flash("a learning-rate search is already running")
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.lrFinding = cancel
	backend := m.backend
	return func() tea.Msg {
		res, err := backend.FindLR(ctx, spec, train.LRFindOptions{Steps: findLRSteps})
		cancel()
		return common.LRFoundMsg{Result: res, Err: err}
	}
}

// storeSigMsg is the runs folder's signature, read by watchStore.
type storeSigMsg struct {
	sig uint64
	err error
	// notified is a read the folder's notifications asked for: the polling
	// tick is already running, so it is not re-armed.
	notified bool
}

// storeNotifiedMsg says the runs folder's notifications saw a change.
type storeNotifiedMsg struct{}

// waitNotified waits for the next change the notifications see.
func waitNotified(ch <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return storeNotifiedMsg{}
	}
}

// storeWatchInterval is how often the lab looks for runs other processes
// wrote (a headless train, a Slurm task, another lab): the fallback where
// the folder's notifications (Store.Watch) miss them, as on NFS.
const storeWatchInterval = 2 * time.Second

// watchStore reads the runs folder's signature now or after the watch
// interval.
func (m *Model) watchStore(now bool) tea.Cmd {
	if m.storeWatch <= 0 {
		return nil
	}
	store := m.c.Store
	read := func() tea.Msg {
		sig, err := store.Signature()
		return storeSigMsg{sig: sig, err: err}
	}
	if now {
		return read
	}
	return tea.Tick(m.storeWatch, func(time.Time) tea.Msg { return read() })
}

// clearFlashMsg ends a flash message, unless a newer one replaced it.
type clearFlashMsg struct{ seq int }

// Update implements tea.Model. Messages of the lab and of training are the
// root's; a page's own messages (common.PageMsg) and the cross-page ones
// that name a page go to that page alone; the run store read back goes to
// every page that lists runs.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, nil
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case common.StartMsg:
		if msg.Sweep != nil {
			return m, m.startSweep(msg.Sweep)
		}
		return m, m.startTraining(msg.Specs)
	case common.ResumeMsg:
		return m, m.resumeTraining(msg.ID)
	case common.StopMsg:
		return m, m.stopTraining()
	case sessionMsg:
		return m, m.sessionStarted(msg)
	case eventMsg:
		return m, m.trainingEvent(msg)
	case eventsClosedMsg:
		return m, m.trainingClosed(msg)
	case common.SwitchMsg:
		return m, m.switchPage(msg.To)
	case common.LRFindMsg:
		return m, m.findLR(msg.Spec)
	case common.LRFoundMsg:
		m.lrFinding = nil
		return m, m.setup.Update(msg)
	case storeSigMsg:
		var cmd tea.Cmd
		if msg.err == nil && msg.sig != m.storeSig {
			if m.storeSig != 0 {
				cmd = common.LoadRunsCmd(m.c.Store)
			}
			m.storeSig = msg.sig
		}
		if msg.notified {
			return m, cmd
		}
		return m, tea.Batch(cmd, m.watchStore(false))
	case storeNotifiedMsg:
		store := m.c.Store
		read := func() tea.Msg {
			sig, err := store.Signature()
			return storeSigMsg{sig: sig, err: err, notified: true}
		}
		return m, tea.Batch(read, waitNotified(m.storeNotify))
	case common.FlashMsg:
		m.flash, m.flashErr = msg.Text, msg.Err
		m.flashSeq++
		seq := m.flashSeq
		return m, tea.Tick(m.flashFor, func(time.Time) tea.Msg { return clearFlashMsg{seq} })
	case clearFlashMsg:
		if msg.seq == m.flashSeq {
			m.flash = ""
		}
		return m, nil
	case common.RunsChangedMsg:
		return m, common.LoadRunsCmd(m.c.Store)
	case common.RunsLoadedMsg:
		return m, tea.Batch(m.setup.Update(msg), m.runs.Update(msg), m.predict.Update(msg))
	case common.StartFromMsg:
		return m, m.setup.Update(msg)
	case common.CompareOpenMsg:
		return m, m.compare.Update(msg)
	case common.PredictOpenMsg:
		return m, m.predict.Update(msg)
	case common.PageMsg:
		return m, m.pages[msg.Page()].Update(msg)
	}
	// Anything else (a component's internal message) belongs to the page
	// in front.
	return m, m.pages[m.active].Update(msg)
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	// Several runes can arrive in one read (key repeat, a slow link, a
	// paste): each counts as its own key press. A paste only ever types:
	// its runes go to a field that takes them and are dropped elsewhere, so
	// pasted text can never quit or switch pages.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			one := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}
			if msg.Paste {
				if pg := m.pages[m.active]; pg.Captures(one) {
					cmds = append(cmds, pg.Update(one))
				}
				continue
			}
			cmds = append(cmds, m.handleKey(one))
		}
		return tea.Batch(cmds...)
	}
	k := m.c.Keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.quitting {
		return nil
	}
	if m.confirmQuit {
		// q while a run trains asks first: q or y again stops it (saving
		// a resumable checkpoint) and quits; any other key keeps it.
		m.confirmQuit = false
		if key.Matches(msg, k.Quit) || key.Matches(msg, k.Yes) {
			return m.quit()
		}
		return nil
	}
	pg := m.pages[m.active]
	if pg.Captures(msg) {
		return pg.Update(msg)
	}
	switch {
	case key.Matches(msg, k.Refresh):
		return tea.Batch(common.LoadRunsCmd(m.c.Store), common.Flash("re-reading the runs folder"))
	case key.Matches(msg, k.Quit):
		if m.training != nil {
			m.confirmQuit = true
			return nil
		}
		return m.quit()
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return nil
	case key.Matches(msg, k.Back):
		if pg.Back() {
			return nil
		}
		if n := len(m.history); n > 0 {
			to := m.history[n-1]
			m.history = m.history[:n-1]
			m.active = to
			return m.entered(to)
		}
		return nil
	case key.Matches(msg, k.Setup):
		return m.switchPage(common.PageSetup)
	case key.Matches(msg, k.RunTab):
		return m.switchPage(common.PageRun)
	case key.Matches(msg, k.Runs):
		return m.switchPage(common.PageRuns)
	case key.Matches(msg, k.Compare):
		return m.switchPage(common.PageCompare)
	case key.Matches(msg, k.Predict):
		return m.switchPage(common.PagePredict)
	}
	return pg.Update(msg)
}

// switchPage moves to a page, remembering where esc goes back to.
func (m *Model) switchPage(to common.PageID) tea.Cmd {
	if to == m.active {
		return m.entered(to)
	}
	m.history = append(m.history, m.active)
	if len(m.history) > 32 {
		m.history = m.history[1:]
	}
	m.active = to
	return m.entered(to)
}

// entered refreshes what a page shows when it is opened.
func (m *Model) entered(p common.PageID) tea.Cmd {
	switch p {
	case common.PageRuns:
		return common.LoadRunsCmd(m.c.Store)
	case common.PageSetup:
		return m.setup.Refresh()
	case common.PagePredict:
		// Opened with nothing chosen after a run was trained here: show
		// that run, the one the user most likely wants to look at.
		if n := len(m.startedIDs); n > 0 && m.predict.Empty() && m.training == nil {
			return m.predict.Update(common.PredictOpenMsg{A: m.startedIDs[n-1]})
		}
	}
	return nil
}

// quit stops a run in progress cleanly (its checkpoint saved, its status
// stopped) and then quits; a second ctrl+c quits without waiting (the run
// is then found interrupted, and still resumable).
func (m *Model) quit() tea.Cmd {
	if m.lrFinding != nil {
		m.lrFinding()
	}
	t := m.training
	if t == nil {
		m.quitting = true
		return tea.Quit
	}
	if m.quitting {
		m.forceQuit = true
		return tea.Quit
	}
	m.quitting = true
	m.stop(t)
	m.active = common.PageRun
	return nil
}
