// Package experiments is the lab's memory: run specifications and presets,
// the run store on disk, the runner that wires the data (augment), the
// network (resnet) and the training loop (train) together, comparisons and
// prediction with saved weights. It never writes to the terminal; callers
// present what it returns.
//
// It must not import the terminal UI (tui, bubbletea, lipgloss) or the
// binary; the kernels (resnet/kernel) are reached only through resnet.
package experiments
