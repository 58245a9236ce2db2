// Package setup is the lab's first page: the form that makes an
// experiments.Spec, validated as it is typed (each message beside the field
// whose setting it names), with the memory and time it will cost
// (experiments.EstimateSpec) and a depth sweep. Enter sends common.StartMsg;
// the root starts the training.
//
// A page imports common and components, never another page or the root
// tui package; what it needs from them travels as messages.
package setup
