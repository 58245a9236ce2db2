package augment

import (
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNaturalSort(t *testing.T) {
	in := []string{"10", "2", "1", "b", "a10", "a9", "img_002.jpg", "img_10.jpg", "img_1.jpg", "A", "a2b3", "a2b10"}
	SortNatural(in)
	want := []string{"1", "2", "10", "A", "a2b3", "a2b10", "a9", "a10", "b", "img_1.jpg", "img_002.jpg", "img_10.jpg"}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got  %q\nwant %q", in, want)
	}
	if NaturalLess("a09", "a9") == NaturalLess("a9", "a09") {
		t.Error("order of equal-valued numbers is not total")
	}
}

// makeTree writes tiny PNGs at the given relative paths under root.
func makeTree(t *testing.T, root string, paths ...string) {
	t.Helper()
	px := solid(2, 2, color.NRGBA{10, 20, 30, 255})
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		if IsImageFile(p) {
			writePNG(t, full, px)
		} else {
			writeFile(t, full, []byte("not an image"))
		}
	}
}

func TestOpenDatasetSplitFolders(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root,
		"train/1/a.png", "train/1/b.png", "train/10/a.png", "train/2/a.png", "train/2/sub/deep.png",
		"train/2/.hidden.png", "train/2/notes.txt", "train/.cache/x.png", "train/2/.thumbs/y.png",
		"val/1/a.png", "val/2/a.png", "val/10/a.png",
		"test/1/t.png", "test/2/t.png", "test/10/t.png",
	)
	writeFile(t, filepath.Join(root, "cat_to_name.json"), []byte(`{"1": "pink primrose", "10": "globe thistle", "99": "unused"}`))
	ds, err := OpenDataset(root, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ds.Classes, []string{"1", "2", "10"}) {
		t.Errorf("classes %q", ds.Classes)
	}
	if !reflect.DeepEqual(ds.Names, []string{"pink primrose", "2", "globe thistle"}) {
		t.Errorf("names %q", ds.Names)
	}
	if !reflect.DeepEqual(ds.Train.Counts(), []int{2, 2, 1}) || ds.Valid.Len() != 3 || ds.Test == nil || ds.Test.Len() != 3 {
		t.Errorf("counts train %v valid %d test %v", ds.Train.Counts(), ds.Valid.Len(), ds.Test)
	}
	if ds.Derived {
		t.Error("valid folder present but split derived")
	}
	if got := filepath.Base(ds.Train.Samples[4].Path); got != "a.png" || ds.Train.Samples[4].Label != 2 {
		t.Errorf("last train sample %+v", ds.Train.Samples[4])
	}
	// Fingerprint: stable, and changes when a file changes.
	ds2, _ := OpenDataset(root, OpenOptions{})
	if ds.Fingerprint == "" || ds.Fingerprint != ds2.Fingerprint {
		t.Errorf("fingerprint unstable: %q %q", ds.Fingerprint, ds2.Fingerprint)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(root, "train/10/a.png"), later, later); err != nil {
		t.Fatal(err)
	}
	ds3, _ := OpenDataset(root, OpenOptions{})
	if ds3.Fingerprint == ds.Fingerprint {
		t.Error("fingerprint ignores modification times")
	}
}

func TestOpenDatasetSingleFolderStratified(t *testing.T) {
	root := t.TempDir()
	var paths []string
	for _, c := range []string{"cat", "dog"} {
		for i := range 10 {
			paths = append(paths, c+"/"+string(rune('a'+i))+".png")
		}
	}
	paths = append(paths, "owl/only.png")
	makeTree(t, root, paths...)
	ds, err := OpenDataset(root, OpenOptions{ValidFraction: 0.2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !ds.Derived || !reflect.DeepEqual(ds.Valid.Counts(), []int{2, 2, 0}) || !reflect.DeepEqual(ds.Train.Counts(), []int{8, 8, 1}) {
		t.Errorf("derived %v valid %v train %v", ds.Derived, ds.Valid.Counts(), ds.Train.Counts())
	}
	again, _ := OpenDataset(root, OpenOptions{ValidFraction: 0.2, Seed: 3})
	if !reflect.DeepEqual(ds.Valid.Samples, again.Valid.Samples) {
		t.Error("same seed, different split")
	}
	other, _ := OpenDataset(root, OpenOptions{ValidFraction: 0.2, Seed: 4})
	if reflect.DeepEqual(ds.Valid.Samples, other.Valid.Samples) {
		t.Error("seed has no effect on the split")
	}
	if other.Fingerprint == ds.Fingerprint {
		t.Error("fingerprint ignores the split seed")
	}
}

func TestOpenDatasetErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file.txt")
	writeFile(t, file, []byte("x"))
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	flat := filepath.Join(tmp, "flat")
	makeTree(t, flat, "a.png", "b.png")
	emptyClass := filepath.Join(tmp, "emptyclass")
	makeTree(t, emptyClass, "train/a/x.png", "train/b/.hidden.png", "train/b/readme.txt", "valid/a/x.png", "valid/b/x.png")
	mismatch := filepath.Join(tmp, "mismatch")
	makeTree(t, mismatch, "train/a/x.png", "train/b/x.png", "valid/a/x.png", "valid/c/x.png")
	badNames := filepath.Join(tmp, "badnames")
	makeTree(t, badNames, "a/1.png", "a/2.png", "b/1.png", "b/2.png")
	writeFile(t, filepath.Join(badNames, "classes.json"), []byte(`{"a": 1`))

	cases := []struct {
		root, path string
		kind       error
		says       string
	}{
		{filepath.Join(tmp, "missing"), filepath.Join(tmp, "missing"), ErrNotFolder, "expected a data set folder"},
		{file, file, ErrNotFolder, "found a file"},
		{empty, empty, ErrNoClasses, "one folder per class"},
		{flat, flat, ErrNoClasses, "found 2 images directly inside"},
		{emptyClass, filepath.Join(emptyClass, "train", "b"), ErrEmptyClass, "at least one"},
		{mismatch, filepath.Join(mismatch, "valid"), ErrClassMismatch, "missing b; extra c"},
		{badNames, filepath.Join(badNames, "classes.json"), ErrBadNames, "JSON object"},
	}
	for _, c := range cases {
		_, err := OpenDataset(c.root, OpenOptions{})
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", c.root, err, c.kind)
			continue
		}
		var de *DataError
		if !errors.As(err, &de) || de.Path != c.path {
			t.Errorf("%s: error path %v, want %s", c.root, de, c.path)
		}
		if !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: message %q should contain %q and the path", c.root, err, c.says)
		}
	}
	if _, err := OpenDataset(filepath.Join(tmp, "missing"), OpenOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder should also match fs.ErrNotExist: %v", err)
	} else if n := strings.Count(err.Error(), filepath.Join(tmp, "missing")); n != 1 {
		// The setup form shows it in full: the path once, not twice.
		t.Errorf("a missing folder's message names its path %d times: %q", n, err)
	}
}

func TestOpenFlowers10(t *testing.T) {
	root := flowersRoot(t)
	ds, err := OpenDataset(root, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Classes) != 10 || ds.Classes[9] != "10" || ds.Names[0] != "pink primrose" ||
		ds.Train.Len() != 427 || ds.Valid.Len() != 43 || ds.Test != nil {
		t.Errorf("classes %q names[0] %q train %d valid %d", ds.Classes, ds.Names[0], ds.Train.Len(), ds.Valid.Len())
	}
}

// flowersRoot returns the shared flowers10 folder, skipping when absent.
func flowersRoot(t testing.TB) string {
	root := filepath.Join("..", "..", "shared", "data", "flowers10")
	if v := os.Getenv("RESLAB_FLOWERS10"); v != "" {
		root = v
	}
	if _, err := os.Stat(filepath.Join(root, "train")); err != nil {
		t.Skipf("flowers10 not found at %s (set RESLAB_FLOWERS10)", root)
	}
	return root
}

// TestDatasetFollowsLinksAndNamesTheLayout: a class folder linked in from
// elsewhere holds its images, a link loop inside a class ends, and a data
// set with valid/ but no train/ says so instead of finding one class.
func TestDatasetFollowsLinksAndNamesTheLayout(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for _, p := range []string{"train/cat/1.png", "valid/cat/1.png", "valid/dog/1.png"} {
		writePNG(t, filepath.Join(root, p), img)
	}
	writePNG(t, filepath.Join(elsewhere, "dog", "1.png"), img)
	writePNG(t, filepath.Join(elsewhere, "dog", "2.png"), img)
	if err := os.Symlink(filepath.Join(elsewhere, "dog"), filepath.Join(root, "train", "dog")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "dog"), filepath.Join(elsewhere, "dog", "loop")); err != nil {
		t.Fatal(err)
	}
	ds, err := OpenDataset(root, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Train.Counts(); len(got) != 2 || got[1] != 2 {
		t.Fatalf("train counts %v, want cat 1 and the linked dog's 2", got)
	}
	onlyValid := t.TempDir()
	for _, p := range []string{"valid/cat/1.png", "valid/dog/1.png"} {
		writePNG(t, filepath.Join(onlyValid, p), img)
	}
	_, err = OpenDataset(onlyValid, OpenOptions{})
	if err == nil || !strings.Contains(err.Error(), "no train/ folder") || !strings.Contains(err.Error(), onlyValid) {
		t.Fatalf("valid/ without train/: %v", err)
	}
}
