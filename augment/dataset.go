package augment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Sentinel errors for bad data sets. Every error OpenDataset returns for
// a data problem is a *DataError wrapping one of these, so callers can
// test the kind with errors.Is and get the path with errors.As.
var (
	ErrNotFolder     = errors.New("not a folder")
	ErrNoClasses     = errors.New("no class folders")
	ErrEmptyClass    = errors.New("class folder has no images")
	ErrClassMismatch = errors.New("splits have different classes")
	ErrBadNames      = errors.New("bad class names file")
)

// DataError reports a data set problem at one path.
type DataError struct {
	Path   string // the file or folder at fault
	Kind   error  // one of the sentinel errors above
	Detail string // what was expected, for people
	Err    error  // underlying cause (e.g. from the file system), may be nil
}

func (e *DataError) Error() string {
	msg := e.Path + ": " + e.Kind.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		// The cause's own copy of the path is left out: the message names
		// it once ("PATH: not a folder: …: no such file or directory").
		var pe *fs.PathError
		if errors.As(e.Err, &pe) && pe.Path == e.Path {
			msg += ": " + pe.Err.Error()
		} else {
			msg += ": " + e.Err.Error()
		}
	}
	return msg
}

// Unwrap gives errors.Is/As both the kind and the cause.
func (e *DataError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Sample is one labelled image of a split.
type Sample struct {
	// Path is the image file; for in-memory samples a descriptive name
	// such as "demo/train/circle/0001.png".
	Path string
	// Label indexes the split's Classes.
	Label int
	// Image holds the pixels of in-memory samples (the demo set); nil
	// for files, which the loader decodes.
	Image *image.NRGBA
}

// Split is one part of a data set (train, valid or test): labelled
// samples in a fixed order.
type Split struct {
	Name    string   // "train", "valid" or "test"
	Dir     string   // folder it was read from; "" for in-memory or derived splits
	Classes []string // class folder names, natural order; label i is Classes[i]
	Samples []Sample
}

// Len is the number of samples.
func (s Split) Len() int { return len(s.Samples) }

// Counts returns the number of samples per class.
func (s Split) Counts() []int {
	n := make([]int, len(s.Classes))
	for _, x := range s.Samples {
		if x.Label >= 0 && x.Label < len(n) {
			n[x.Label]++
		}
	}
	return n
}

// Dataset is a classification data set: classes and its splits.
type Dataset struct {
	// Root is the folder given to OpenDataset ("" for the in-memory demo).
	Root string
	// Classes are the class folder names in natural order (1, 2, …, 10).
	Classes []string
	// Names are display names per class: from classes.json or
	// cat_to_name.json (folder name → name) when present, else the folder
	// names.
	Names []string
	// NamesFile is the names file used, "" if none.
	NamesFile string
	Train     Split
	Valid     Split
	// Test is nil when the data set has no test split.
	Test *Split
	// Derived is true when Valid was drawn from the training images
	// (no valid folder) by a stratified fraction.
	Derived bool
	// Fingerprint identifies the exact data: a hash of every file's
	// relative path, label, size and modification time (and the split
	// fraction and seed when the split was derived). Runs record it so a
	// changed data set is noticed.
	Fingerprint string
}

// DefaultValidFraction is the share of each class held out for validation
// when a data set has no valid folder.
const DefaultValidFraction = 0.2

// OpenOptions tune OpenDataset.
type OpenOptions struct {
	// ValidFraction is held out per class when there is no valid folder;
	// 0 means DefaultValidFraction.
	ValidFraction float64
	// Seed fixes which images are held out.
	Seed int64
}

// names of the split folders, in the order they are looked for.
var (
	trainDirs = []string{"train", "training"}
	validDirs = []string{"valid", "val", "validation"}
	testDirs  = []string{"test", "testing"}
	nameFiles = []string{"classes.json", "cat_to_name.json"}
)

// OpenDataset reads a data set folder. Two layouts are understood:
//
//   - root/train/<class>/…, root/valid/<class>/… (or val/), and an
//     optional root/test/<class>/…; a train folder without a valid
//     folder is split like the second layout;
//   - root/<class>/…: split into train and valid per class by
//     opts.ValidFraction with a fixed seed (stratified).
//
// Images are found recursively inside class folders; hidden files and
// folders (".name") and files that are not JPEG, PNG, GIF, BMP or WebP are
// ignored. Every split must have the same classes, and every class folder
// at least one image.
func OpenDataset(root string, opts OpenOptions) (*Dataset, error) {
	frac := opts.ValidFraction
	if frac == 0 {
		frac = DefaultValidFraction
	}
	if math.IsNaN(frac) || frac <= 0 || frac >= 1 {
		return nil, fmt.Errorf("open data set %s: valid fraction %v is outside (0, 1)", root, frac)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, &DataError{Path: root, Kind: ErrNotFolder, Detail: "expected a data set folder", Err: err}
	}
	if !fi.IsDir() {
		return nil, &DataError{Path: root, Kind: ErrNotFolder, Detail: "expected a data set folder, found a file"}
	}
	subdirs, err := listDirs(root)
	if err != nil {
		return nil, err
	}
	find := func(cands []string) string {
		for _, c := range cands {
			for _, d := range subdirs {
				if strings.EqualFold(d, c) {
					return filepath.Join(root, d)
				}
			}
		}
		return ""
	}
	ds := &Dataset{Root: root}
	h := sha256.New()
	var all Split
	trainDir := find(trainDirs)
	if trainDir != "" {
		train, err := scanSplit(trainDir, "train", h)
		if err != nil {
			return nil, err
		}
		ds.Classes = train.Classes
		if validDir := find(validDirs); validDir != "" {
			valid, err := scanSplit(validDir, "valid", h)
			if err != nil {
				return nil, err
			}
			if err := sameClasses(train, valid); err != nil {
				return nil, err
			}
			valid.Classes = train.Classes
			ds.Train, ds.Valid = train, valid
		} else {
			all = train
		}
		if testDir := find(testDirs); testDir != "" {
			test, err := scanSplit(testDir, "test", h)
			if err != nil {
				return nil, err
			}
			if err := sameClasses(train, test); err != nil {
				return nil, err
			}
			test.Classes = train.Classes
			ds.Test = &test
		}
	} else {
		if other := find(append(append([]string(nil), validDirs...), testDirs...)); other != "" {
			return nil, &DataError{Path: root, Kind: ErrNoClasses, Detail: fmt.Sprintf(
				"found %s but no train/ folder: expected %s beside it (or class folders directly in %s)",
				filepath.Base(other), filepath.Join(root, "train", "<class>", "image.jpg"), root)}
		}
		all, err = scanSplit(root, "train", h)
		if err != nil {
			return nil, err
		}
		ds.Classes = all.Classes
	}
	if all.Samples != nil {
		ds.Train, ds.Valid = stratifiedSplit(all, frac, opts.Seed)
		ds.Derived = true
		fmt.Fprintf(h, "derived %v %d\n", frac, opts.Seed)
	}
	ds.Names, ds.NamesFile, err = readNames(root, ds.Classes)
	if err != nil {
		return nil, err
	}
	ds.Fingerprint = hex.EncodeToString(h.Sum(nil)[:16])
	return ds, nil
}

// hidden reports whether a file or folder name is hidden by convention.
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// listDirs returns the non-hidden sub-folders of dir (following symbolic
// links) in natural order.
func listDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &DataError{Path: dir, Kind: ErrNotFolder, Detail: "cannot list folder", Err: err}
	}
	var out []string
	for _, e := range entries {
		if hidden(e.Name()) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
				isDir = fi.IsDir()
			}
		}
		if isDir {
			out = append(out, e.Name())
		}
	}
	SortNatural(out)
	return out, nil
}

// hashWriter is the part of hash.Hash scanSplit needs.
type hashWriter interface{ Write([]byte) (int, error) }

// scanSplit reads dir/<class>/… into a Split, feeding every file's
// identity into h.
func scanSplit(dir, name string, h hashWriter) (Split, error) {
	classes, err := listDirs(dir)
	if err != nil {
		return Split{}, err
	}
	if len(classes) == 0 {
		detail := "expected one folder per class (e.g. " + filepath.Join(dir, "<class>", "image.jpg") + ")"
		if n := countImages(dir); n > 0 {
			detail += fmt.Sprintf("; found %d images directly inside instead", n)
		}
		return Split{}, &DataError{Path: dir, Kind: ErrNoClasses, Detail: detail}
	}
	s := Split{Name: name, Dir: dir, Classes: classes}
	fmt.Fprintf(h, "split %s\n", name)
	for label, class := range classes {
		cdir := filepath.Join(dir, class)
		type found struct {
			rel  string
			size int64
			mod  int64
		}
		var files []found
		err := walkFollowingLinks(cdir, func(path string, fi fs.FileInfo) {
			if !IsImageFile(fi.Name()) || !fi.Mode().IsRegular() {
				return // not an image, or a special file
			}
			rel, _ := filepath.Rel(cdir, path)
			files = append(files, found{filepath.ToSlash(rel), fi.Size(), fi.ModTime().UnixNano()})
		})
		if err != nil {
			return Split{}, &DataError{Path: cdir, Kind: ErrNotFolder, Detail: "cannot read class folder", Err: err}
		}
		if len(files) == 0 {
			return Split{}, &DataError{Path: cdir, Kind: ErrEmptyClass,
				Detail: "expected at least one JPEG, PNG, GIF, BMP or WebP image in each class folder"}
		}
		sort.SliceStable(files, func(i, j int) bool { return NaturalLess(files[i].rel, files[j].rel) })
		for _, f := range files {
			s.Samples = append(s.Samples, Sample{Path: filepath.Join(cdir, filepath.FromSlash(f.rel)), Label: label})
			fmt.Fprintf(h, "%s/%s\t%d\t%d\t%d\n", class, f.rel, label, f.size, f.mod)
		}
	}
	return s, nil
}

// walkFollowingLinks calls visit for every non-hidden file below root,
// following symbolic links to folders and files (a class folder linked in
// from elsewhere is an ordinary class) and visiting each real folder once,
// so a link loop ends instead of recursing.
func walkFollowingLinks(root string, visit func(path string, fi fs.FileInfo)) error {
	seen := map[string]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return err
		}
		if seen[real] {
			return nil
		}
		seen[real] = true
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if hidden(e.Name()) {
				continue
			}
			path := filepath.Join(dir, e.Name())
			fi, err := os.Stat(path) // follows links, unlike e.Info
			if err != nil {
				continue // a dangling link: not an image
			}
			if fi.IsDir() {
				if err := walk(path); err != nil {
					return err
				}
				continue
			}
			visit(path, fi)
		}
		return nil
	}
	return walk(root)
}

// countImages counts image files directly inside dir (for error hints).
func countImages(dir string) int {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if !e.IsDir() && !hidden(e.Name()) && IsImageFile(e.Name()) {
			n++
		}
	}
	return n
}

// sameClasses checks other has exactly train's class folders.
func sameClasses(train, other Split) error {
	have := map[string]bool{}
	for _, c := range other.Classes {
		have[c] = true
	}
	var missing, extra []string
	want := map[string]bool{}
	for _, c := range train.Classes {
		want[c] = true
		if !have[c] {
			missing = append(missing, c)
		}
	}
	for _, c := range other.Classes {
		if !want[c] {
			extra = append(extra, c)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "extra "+strings.Join(extra, ", "))
	}
	return &DataError{Path: other.Dir, Kind: ErrClassMismatch,
		Detail: fmt.Sprintf("expected the same class folders as %s: %s", train.Dir, strings.Join(parts, "; "))}
}

// stratifiedSplit holds out round(frac·n) images of each class (at least
// one, and never a class's only image) chosen by a seeded shuffle, keeping
// both parts in their original order.
func stratifiedSplit(all Split, frac float64, seed int64) (Split, Split) {
	byClass := make([][]int, len(all.Classes))
	for i, s := range all.Samples {
		byClass[s.Label] = append(byClass[s.Label], i)
	}
	held := make([]bool, len(all.Samples))
	for c, idx := range byClass {
		n := len(idx)
		k := int(math.Round(frac * float64(n)))
		k = min(max(k, 1), n-1)
		if k <= 0 {
			continue
		}
		r := newRand(saltSplit, uint64(seed), uint64(c))
		perm := append([]int(nil), idx...)
		r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for _, i := range perm[:k] {
			held[i] = true
		}
	}
	train := Split{Name: "train", Classes: all.Classes}
	valid := Split{Name: "valid", Classes: all.Classes}
	for i, s := range all.Samples {
		if held[i] {
			valid.Samples = append(valid.Samples, s)
		} else {
			train.Samples = append(train.Samples, s)
		}
	}
	return train, valid
}

// readNames loads display names from root/classes.json or
// root/cat_to_name.json: a JSON object mapping folder name to display
// name, or a JSON array of names in class order. Classes the file does not
// name keep their folder name.
func readNames(root string, classes []string) ([]string, string, error) {
	names := append([]string(nil), classes...)
	for _, f := range nameFiles {
		path := filepath.Join(root, f)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", &DataError{Path: path, Kind: ErrBadNames, Err: err}
		}
		var m map[string]string
		if err := json.Unmarshal(data, &m); err == nil {
			for i, c := range classes {
				if n := strings.TrimSpace(m[c]); n != "" {
					names[i] = n
				}
			}
			return names, path, nil
		}
		var list []string
		if err := json.Unmarshal(data, &list); err == nil {
			if len(list) != len(classes) {
				return nil, "", &DataError{Path: path, Kind: ErrBadNames,
					Detail: "a JSON list must name each of the " + strconv.Itoa(len(classes)) + " classes in order, found " + strconv.Itoa(len(list))}
			}
			for i, n := range list {
				if n = strings.TrimSpace(n); n != "" {
					names[i] = n
				}
			}
			return names, path, nil
		}
		return nil, "", &DataError{Path: path, Kind: ErrBadNames,
			Detail: `expected a JSON object {"folder": "display name", …} or a list of names`}
	}
	return names, "", nil
}
