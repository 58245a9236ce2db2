package main

import (
	"encoding/json"
	"image/color"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkJSONShape fails on any key that is not snake_case and on any null
// (empty lists are [], absent values are left out), anywhere in v.
func checkJSONShape(t *testing.T, what, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		t.Errorf("%s: %s is null", what, path)
	case map[string]any:
		for k, x := range v {
			if !snakeCase.MatchString(k) {
				t.Errorf("%s: key %s.%s is not snake_case", what, path, k)
			}
			checkJSONShape(t, what, path+"."+k, x)
		}
	case []any:
		for i, x := range v {
			checkJSONShape(t, what, path+"["+strconv.Itoa(i)+"]", x)
		}
	}
}

// Every --json output (one document, or one per line) has snake_case keys
// and no nulls.
func TestJSONOutputsAreSnakeCaseWithoutNulls(t *testing.T) {
	runs := t.TempDir()
	a := trainTiny(t, runs, "--name", "first")
	b := trainTiny(t, runs, "--arch", "resnet34")
	if code, out, errOut := runReslab(t, "sweep", "--runs", runs, "--width", "4", "--size", "32", "--epochs", "1", "--batch", "16",
		"--grid", "arch=18,34", "--folds", "2", "--name", "js"); code != 0 {
		t.Fatalf("sweep: exit %d\n%s%s", code, out, errOut)
	}
	img := filepath.Join(t.TempDir(), "x.png")
	writePNG(t, img, 40, 40, color.NRGBA{G: 200, A: 255})
	for _, args := range [][]string{
		{"runs", "--runs", runs, "--json"},
		{"show", "--runs", runs, "--json", a},
		{"compare", "--runs", runs, "--json", a, b},
		{"predict", "--runs", runs, "--run", a, "--json", img},
		{"predict", "--runs", runs, "--run", a, "--split", "valid", "--json"},
		{"sweep", "show", "js", "--runs", runs, "--json"},
		{"sweep", "list", "--runs", runs, "--json"},
		{"bench", "--arch", "resnet18", "--width", "4", "--size", "32", "--batch", "2", "--steps", "1", "--warmup", "0", "--json"},
	} {
		code, out, errOut := runReslab(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		what := strings.Join(args[:1], " ")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var v any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("%v: %v: %s", args, err, line)
			}
			checkJSONShape(t, what, "$", v)
		}
	}
	// An empty runs folder lists [] runs and [] unreadable folders.
	code, out, _ := runReslab(t, "runs", "--runs", t.TempDir(), "--json")
	if code != 0 || strings.TrimSpace(out) != `{"runs":[],"unreadable":[]}` {
		t.Errorf("empty runs folder: %s", out)
	}
}
