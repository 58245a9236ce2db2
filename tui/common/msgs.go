package common

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
)

// PageID names the lab's five pages, in tab order.
type PageID int

// The pages.
const (
	PageSetup PageID = iota
	PageRun
	PageRuns
	PageCompare
	PagePredict
	NumPages
)

// PageNames are the tabs' labels.
var PageNames = [NumPages]string{"setup", "run", "runs", "compare", "predict"}

// Messages that cross a page boundary: the root model handles each, or
// hands it to the one page named. A page's own messages (the results of its
// background commands) are declared in that page and implement PageMsg.
type (
	// StartMsg asks the root to train specs one after another, or, with
	// Sweep set, to save that sweep and train its runs (Specs is then
	// ignored).
	StartMsg struct {
		Specs []experiments.Spec
		Sweep *experiments.Sweep
	}
	// ResumeMsg asks the root to resume a saved run.
	ResumeMsg struct{ ID string }
	// StopMsg asks the root to stop the run in progress, saving a
	// resumable checkpoint, and to drop a sweep's queued runs.
	StopMsg struct{}
	// SwitchMsg moves to a page.
	SwitchMsg struct{ To PageID }
	// FlashMsg shows a one-line message above the help bar for a while.
	FlashMsg struct {
		Text string
		Err  bool
	}
	// RunsChangedMsg asks the root to read the run store again; the
	// answer, RunsLoadedMsg, goes to every page that lists runs.
	RunsChangedMsg struct{}
	// StartFromMsg fills the setup form to train from a run's best
	// weights. Setup's.
	StartFromMsg struct{ Run *experiments.Run }
	// CompareOpenMsg opens runs, or a saved comparison, on the compare
	// page. Compare's.
	CompareOpenMsg struct {
		IDs        []string
		Comparison *experiments.Comparison // nil for runs marked just now
	}
	// PredictOpenMsg opens the predict page on run A, with run B beside
	// it when B is not "", at validation image Image when it is not "".
	// Predict's.
	PredictOpenMsg struct{ A, B, Image string }
	// LRFindMsg asks the root to run a learning-rate range test for Spec
	// in the background; the answer is LRFoundMsg. Root's.
	LRFindMsg struct{ Spec experiments.Spec }
	// LRFoundMsg is a range test's curve and suggestion. Setup's.
	LRFoundMsg struct {
		Result train.LRFindResult
		Err    error
	}
)

// Page implements PageMsg.
func (LRFoundMsg) Page() PageID { return PageSetup }

// PageMsg is a page's own message: the root delivers it to that page alone.
type PageMsg interface {
	tea.Msg
	Page() PageID
}

// Send is a command that delivers msg.
func Send(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// Flash shows text above the help bar.
func Flash(text string) tea.Cmd { return Send(FlashMsg{Text: text}) }

// FlashError shows an error, on one line, above the help bar.
func FlashError(err error) tea.Cmd {
	return Send(FlashMsg{Text: experiments.OneLine(err.Error()), Err: true})
}

// SwitchTo moves to a page.
func SwitchTo(p PageID) tea.Cmd { return Send(SwitchMsg{To: p}) }
