// Package setting names the setting an error is about. Validation in
// resnet (Config), augment (Params) and experiments (Spec) wraps each
// problem in an *Error carrying the setting's name, so a form can put the
// message beside its field, and a command line beside its flag, without
// reading the message's words.
//
// It imports nothing of reslab.
package setting

import (
	"errors"
	"fmt"
)

// Error is a problem with one named setting.
type Error struct {
	Name string // the setting, as its owner names it in JSON: "width", "lr"
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf is an *Error for the named setting whose message wraps kind, so
// both errors.Is(err, kind) and errors.As(err, **Error) hold.
func Errorf(name string, kind error, format string, args ...any) error {
	return &Error{Name: name, Err: fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)}
}

// Name is the setting err is about, "" when it names none.
func Name(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Name
	}
	return ""
}

// Rename relabels the setting of err through names (an owner's name to
// another's, such as resnet's "input_size" to a spec's "size"); names not
// in the map and errors without a setting pass through unchanged.
func Rename(err error, names map[string]string) error {
	var fe *Error
	if !errors.As(err, &fe) {
		return err
	}
	if to, ok := names[fe.Name]; ok {
		return &Error{Name: to, Err: fe.Err}
	}
	return err
}

// Leaves flattens an errors.Join tree into its single errors.
func Leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Leaves(e)...)
		}
		return out
	}
	return []error{err}
}
