// Package predict walks a run's validation (or test) images with its
// predictions beside another run's, jumps to disagreements, and classifies
// a typed image file. Predictions run under the lab's context through the
// shared experiments.PredictorCache.
//
// A page imports common and components, never another page or the root
// tui package; what it needs from them travels as messages.
package predict
