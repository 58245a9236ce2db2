package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
)

// Exit codes: the only place they are chosen is exitCode.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2 // bad usage or cancellation
)

// usageError is a command line that cannot run as written: a bad flag
// value, a missing argument. It exits 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef is a usageError; %w in format wraps as fmt.Errorf does.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// silentError carries an exit code for an outcome that has already been
// told: -h printed the flags, or a stopped run said how to resume it on
// stdout.
type silentError struct {
	code   int
	reason string
}

func (e *silentError) Error() string { return e.reason }

var (
	// errHelp is -h: usage was printed; success.
	errHelp = &silentError{exitOK, "help shown"}
	// errRunStopped is a run stopped before its end; it resumes.
	errRunStopped = &silentError{exitUsage, "run stopped"}
)

// exitCode maps a command's error to the process's exit code: 0 for
// success, 2 for bad usage (usageError, settings that fail validation) and
// cancellation, 1 for every other failure.
func exitCode(err error) int {
	var silent *silentError
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &silent):
		return silent.code
	case errors.As(err, &usage), errors.Is(err, experiments.ErrSpec), errors.Is(err, resnet.ErrConfig), errors.Is(err, experiments.ErrBadName),
		errors.Is(err, context.Canceled), errors.Is(err, flag.ErrHelp):
		return exitUsage
	}
	return exitError
}

// report writes a command's error as one line on stderr, "reslab CMD: …",
// unless it was already told.
func report(stderr io.Writer, command string, err error) {
	var silent *silentError
	if err == nil || errors.As(err, &silent) {
		return
	}
	prefix := "reslab"
	if command != "" {
		prefix += " " + command
	}
	msg := err.Error()
	if errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	fmt.Fprintf(stderr, "%s: %s\n", prefix, experiments.OneLine(msg))
}
