package augment

import (
	"errors"
	"fmt"
	"testing"
)

// pooledSplit makes a split with the given images per class.
func pooledSplit(perClass ...int) Split {
	s := Split{Name: "train"}
	for c, n := range perClass {
		s.Classes = append(s.Classes, fmt.Sprint(c+1))
		for i := range n {
			s.Samples = append(s.Samples, Sample{Path: fmt.Sprintf("%d/%03d.png", c+1, i), Label: c})
		}
	}
	return s
}

func TestFoldAssignmentIsStratifiedAndFixedBySeed(t *testing.T) {
	all := pooledSplit(10, 7, 3, 12)
	const k = 5
	a, err := FoldAssignment(all, k, 7)
	if err != nil {
		t.Fatal(err)
	}
	// Every class is spread over the folds as evenly as it can be: no fold
	// holds two more of a class than another.
	for c, n := range []int{10, 7, 3, 12} {
		per := make([]int, k)
		for i, s := range all.Samples {
			if s.Label == c {
				per[a[i]]++
			}
		}
		lo, hi := n, 0
		for _, x := range per {
			lo, hi = min(lo, x), max(hi, x)
		}
		if hi-lo > 1 {
			t.Errorf("class %d: per-fold counts %v, want within one of each other", c, per)
		}
	}
	// The folds' sizes are within one class-rotation of each other.
	sizes := make([]int, k)
	for _, f := range a {
		sizes[f]++
	}
	for f, n := range sizes {
		if n < 5 || n > 8 {
			t.Errorf("fold %d has %d of 32 images (sizes %v)", f, n, sizes)
		}
	}
	b, _ := FoldAssignment(all, k, 7)
	c, _ := FoldAssignment(all, k, 8)
	same, differ := true, false
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if !same {
		t.Error("the same seed gave a different assignment")
	}
	if !differ {
		t.Error("another seed gave the same assignment")
	}
}

func TestFoldAssignmentRejects(t *testing.T) {
	if _, err := FoldAssignment(pooledSplit(5, 1), 2, 1); !errors.Is(err, ErrFolds) {
		t.Errorf("a class of one image: %v, want ErrFolds", err)
	}
	if _, err := FoldAssignment(pooledSplit(5, 5), 1, 1); !errors.Is(err, ErrFolds) {
		t.Errorf("one fold: %v, want ErrFolds", err)
	}
}

func TestUseFoldPredictsEveryImageOnce(t *testing.T) {
	const k = 3
	seen := map[string]int{}
	var prints []string
	for fold := range k {
		d := &Dataset{Classes: []string{"1", "2"}, Fingerprint: "base"}
		all := pooledSplit(6, 5)
		d.Train = Split{Name: "train", Classes: d.Classes, Samples: all.Samples[:8]}
		d.Valid = Split{Name: "valid", Classes: d.Classes, Samples: all.Samples[8:]}
		if err := d.UseFold(k, fold, 3); err != nil {
			t.Fatal(err)
		}
		if d.Train.Len()+d.Valid.Len() != 11 {
			t.Fatalf("fold %d: %d train + %d valid, want 11 in all", fold, d.Train.Len(), d.Valid.Len())
		}
		train := map[string]bool{}
		for _, s := range d.Train.Samples {
			train[s.Path] = true
		}
		for _, s := range d.Valid.Samples {
			if train[s.Path] {
				t.Errorf("fold %d trains on its validation image %s", fold, s.Path)
			}
			seen[s.Path]++
		}
		prints = append(prints, d.Fingerprint)
	}
	if len(seen) != 11 {
		t.Errorf("%d images validated over the folds, want all 11", len(seen))
	}
	for p, n := range seen {
		if n != 1 {
			t.Errorf("%s validated %d times, want once", p, n)
		}
	}
	if prints[0] == prints[1] || prints[0] == "base" {
		t.Errorf("fingerprints %v: each fold must have its own", prints)
	}
}
