// Package runs is the table of saved runs: sort, filter, mark, delete,
// resume, a run's details (settings, curves, confusion matrix), and the
// saved comparisons. It opens the other pages by message
// (common.CompareOpenMsg, PredictOpenMsg, StartFromMsg, ResumeMsg).
//
// A page imports common and components, never another page or the root
// tui package; what it needs from them travels as messages.
package runs
