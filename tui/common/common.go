// Package common is what the lab's pages share: the Common context (styles,
// keys, the run store, the window size), the key map, every message that
// crosses a page boundary (msgs.go), and layout helpers.
//
// It must not import the pages, the components or the root tui package;
// they import it.
package common

import (
	"context"
	"log/slog"
	"time"

	"github.com/reslab/reslab/experiments"
)

// Common is the context every page is made with. Pages read it; the root
// model alone writes the window size and the training run.
type Common struct {
	Styles *Styles
	Keys   *KeyMap
	Store  *experiments.Store
	Log    *slog.Logger
	// RunsLabel names the runs folder on screen, as the user gave it.
	RunsLabel string
	// DataDir is the image folder the setup form starts with; "" is the
	// built-in demo set.
	DataDir string
	// MemoryBudget caps a training graph's predicted memory; 0 means the
	// network's default share of physical memory.
	MemoryBudget  int64
	Width, Height int
	// TrainingID is the run training now, "" when none.
	TrainingID string
	// Context is the lab's lifetime, for the pages' background work
	// (predictions): closing the lab cancels it. Kept here, not passed per
	// call, because bubbletea commands take no arguments.
	Context context.Context
	// Predictors keeps the runs' predictors loaded for the predict page.
	Predictors *experiments.PredictorCache
	// DataDebounce is the pause in typing a data folder before the setup
	// page reads it.
	DataDebounce time.Duration
}
