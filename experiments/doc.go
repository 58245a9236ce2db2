// Package experiments is the lab's memory: run specifications and presets,
// the run store on disk, the runner that wires the data (augment) and the
// network (engine) together, comparisons and prediction with saved weights.
// It never writes to the terminal; callers present what it returns.
package experiments
