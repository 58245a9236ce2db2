package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/reslab/reslab/experiments"
)

func TestExitCodesAndReports(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   int
		report string // "" when nothing is printed
	}{
		{nil, 0, ""},
		{errHelp, 0, ""},
		{errRunStopped, 2, ""},
		{usagef("--topk %d: want 1 or more", 0), 2, "reslab predict: --topk 0: want 1 or more\n"},
		{fmt.Errorf("train: %w", experiments.ErrSpec), 2, "reslab predict: train: invalid run settings\n"},
		{fmt.Errorf("loading: %w", context.Canceled), 2, "reslab predict: interrupted\n"},
		{errors.New("a.jpg:\n  not an image"), 1, "reslab predict: a.jpg: not an image\n"},
	} {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		var out strings.Builder
		report(&out, "predict", tc.err)
		if out.String() != tc.report {
			t.Errorf("report(%v) wrote %q, want %q", tc.err, out.String(), tc.report)
		}
	}
}
