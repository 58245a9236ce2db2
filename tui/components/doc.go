// Package components holds the lab's widgets that know no page: the
// overlaid metric chart (asciigraph through experiments.Chart), the table
// that fits its columns to a width, and images drawn in terminal cells.
// Each takes its data and a size and returns lines; none keeps state
// between frames.
//
// It may import common; never a page or the root tui package.
package components
