// Package run is the live dashboard of the run in progress: progress,
// throughput, ETA, loss and accuracy charts, the epochs, patience and
// status. It shows what the root hands it (Starting, Started, Event,
// Closed); s asks the root to stop (common.StopMsg), it cancels nothing
// itself.
//
// A page imports common and components, never another page or the root
// tui package; what it needs from them travels as messages.
package run
