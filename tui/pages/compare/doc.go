// Package compare overlays runs' curves per metric, tabulates them with
// McNemar's test against the first run, and saves the comparison by name.
//
// A page imports common and components, never another page or the root
// tui package; what it needs from them travels as messages.
package compare
