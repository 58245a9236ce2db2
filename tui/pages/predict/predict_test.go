package predict

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/reslab/reslab/augment"
	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/tui/common"
	"github.com/reslab/reslab/tui/internal/labtest"
)

// openOn is the predict page on dir's runs, opened on run a (and b).
func openOn(t *testing.T, dir, a, b string, w, h int) (*Page, *labtest.Harness) {
	t.Helper()
	c := labtest.Common(t, dir)
	p := New(c)
	p.SetSize(w, h)
	hs := &labtest.Harness{T: t, Page: p, Store: c.Store}
	labtest.Settle(t, p.Update, common.LoadRunsCmd(c.Store))
	hs.Send(common.PredictOpenMsg{A: a, B: b})
	return p, hs
}

func TestPredictJumpsToDisagreements(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	p, h := openOn(t, dir, "20261127-100000-r18-aaaa", "20261127-110000-r34-bbbb", 120, 38)
	if p.a == nil || p.b == nil || len(p.items) != 24 {
		t.Fatalf("predict: %d items", len(p.items))
	}
	if p.images[p.items[0].Path] == nil {
		t.Error("the first image was not drawn")
	}
	h.Press("n")
	first := p.index
	if !p.disagree(first) || first == 0 {
		t.Fatalf("n went to %d", first)
	}
	for i := 1; i < first; i++ {
		if p.disagree(i) {
			t.Errorf("n skipped disagreement %d", i)
		}
	}
	h.Press("n")
	if p.index <= first || !p.disagree(p.index) {
		t.Errorf("second n: %d", p.index)
	}
	h.Press("N")
	if p.index != first {
		t.Errorf("N went back to %d, want %d", p.index, first)
	}
	v := p.View()
	for _, want := range []string{"A 100000-r18-aaaa", "B deeper · 110000-r34-bbbb", "true class:", "%", "disagree"} {
		if !strings.Contains(v, want) {
			t.Errorf("predict view lacks %q:\n%s", want, v)
		}
	}
	// Arrows walk.
	h.Press("right")
	if p.index != first+1 {
		t.Errorf("→ went to %d", p.index)
	}
}

func TestPredictTypedFile(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	// Weights for the r18 run: an untrained network of its shape is enough
	// to check the path from a typed file to bars.
	store, err := experiments.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := store.Load("20261127-100000-r18-aaaa")
	if err != nil {
		t.Fatal(err)
	}
	model, err := resnet.NewModel(r.Meta.Spec.ModelConfig(6), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.SaveWeights(r.Path(experiments.BestWeightsFile)); err != nil {
		t.Fatal(err)
	}
	model.Close()
	img, err := experiments.SampleImage(experiments.Spec{}, "demo/valid/square/0002.png")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "square", "x.png")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()

	p, h := openOn(t, dir, r.ID, "", 100, 28)
	h.Press("o")
	if !p.typing || !p.Captures(labtest.Keys("q")[0].(tea.KeyMsg)) {
		t.Fatal("o did not open the path field (where q types)")
	}
	h.Press("ctrl+u", file, "enter")
	l := p.live
	if l == nil || l.busy || l.aErr != nil || len(l.a) != 5 || l.img == nil {
		t.Fatalf("typed file: %+v", l)
	}
	if l.trueName != "square" || !strings.Contains(p.View(), "file "+file) {
		t.Errorf("true class %q\n%s", l.trueName, p.View())
	}
	h.Press("esc")
	if p.live != nil {
		t.Error("esc did not return to the validation images")
	}
}

// TestPredictTestSplit trains a tiny run on a folder data set with a test
// split, then walks it: t classifies the test images with the run's best
// weights, shows them with their test paths, and t again returns to the
// validation images saved at the best epoch.
func TestPredictTestSplit(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := augment.WriteDemo(context.Background(), data, augment.DemoOptions{Size: 32, Train: 8, Valid: 3}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := experiments.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := experiments.DefaultSpec()
	spec.Data, spec.Width, spec.Size, spec.Epochs, spec.Batch = data, 4, 32, 1, 16
	sess, err := (&experiments.Runner{Store: store}).Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for range sess.Events {
	}

	p, h := openOn(t, dir, sess.ID, "", 100, 28)
	if p.a == nil || len(p.items) != 6*3 || p.test {
		t.Fatalf("predict: %d items, test %v", len(p.items), p.test)
	}
	// Without test/: one line says so and the validation images stay.
	h.Press("t")
	if fm, ok := labtest.Last[common.FlashMsg](h); !ok || !strings.Contains(fm.Text, "no test/ folder") || p.test || p.testBusy {
		t.Fatalf("a data set without test/: flash %+v, test %v, busy %v", fm, p.test, p.testBusy)
	}

	if err := os.CopyFS(filepath.Join(data, "test"), os.DirFS(filepath.Join(data, "valid"))); err != nil {
		t.Fatal(err)
	}
	h.Press("t")
	sep := string(filepath.Separator)
	if !p.test || len(p.items) != 6*3 || !strings.Contains(p.items[0].Path, sep+"test"+sep) {
		t.Fatalf("after t: test %v, %d items, first %+v", p.test, len(p.items), p.items)
	}
	if v := p.View(); !strings.Contains(v, "test · best weights") || !strings.Contains(v, "image 1/18") {
		t.Errorf("test split view:\n%s", v)
	}
	h.Press("t")
	if p.test || len(p.items) != 6*3 || !strings.Contains(p.items[0].Path, sep+"valid"+sep) || !strings.Contains(p.View(), "valid · best epoch") {
		t.Errorf("back to validation: test %v, first %+v\n%s", p.test, p.items[0], p.View())
	}
}

// TestPathPromptStartsEmpty: o asks for a new path each time instead of
// appending to the last one typed.
func TestPathPromptStartsEmpty(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	p, h := openOn(t, dir, "20261127-100000-r18-aaaa", "", 100, 28)
	h.Press("o", "abc", "esc", "o")
	if v := p.path.Value(); v != "" {
		t.Errorf("the second o starts with %q", v)
	}
}

// Opened at an image (the runs screen's worst prediction), predict shows it
// first.
func TestPredictOpensAtAnImage(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	p, h := openOn(t, dir, "20261127-100000-r18-aaaa", "", 120, 38)
	target := p.items[7].Path
	h.Send(common.PredictOpenMsg{A: "20261127-100000-r18-aaaa", Image: target})
	if p.items[p.index].Path != target {
		t.Errorf("showing %s, want %s", p.items[p.index].Path, target)
	}
}

// Two opens in flight: the later one's runs show even when the earlier
// one's answer arrives last (the lab opening the run trained last while
// the runs screen asked for two).
func TestPredictKeepsTheLatestOpen(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	c := labtest.Common(t, dir)
	p := New(c)
	p.SetSize(120, 38)
	first := p.Update(common.PredictOpenMsg{A: "20261127-100000-r18-aaaa"})
	second := p.Update(common.PredictOpenMsg{A: "20261127-100000-r18-aaaa", B: "20261127-110000-r34-bbbb"})
	labtest.Settle(t, p.Update, second)
	labtest.Settle(t, p.Update, first)
	if p.b == nil || p.b.run.ID != "20261127-110000-r34-bbbb" {
		t.Errorf("the earlier open's answer replaced the later one's: B is %v", p.b)
	}
}

// An image that cannot be read says why in full where it would be drawn,
// and a run without weights says so in full in its pane: wrapped, never
// cut.
func TestPredictImageErrorWraps(t *testing.T) {
	dir := t.TempDir()
	labtest.ThreeRuns(t, dir)
	p, h := openOn(t, dir, "20261127-100000-r18-aaaa", "", 80, 22)
	missing := filepath.Join(dir, "no", "such", "picture", "in", "a", "folder", "with", "a", "long", "name", "flower.jpg")
	h.Press("o", missing, "enter")
	v := p.View()
	if !strings.Contains(v, "image: ") {
		t.Fatalf("no image error:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if !strings.HasPrefix(l, "file ") && strings.Contains(l, "…") {
			t.Errorf("an error is cut: %q\n%s", l, v)
		}
	}
	if !strings.Contains(v, "no such file or directory") {
		t.Errorf("the image column does not end its error:\n%s", v)
	}
}
