package augment

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrFolds marks a data set that cannot be split into the folds asked for.
var ErrFolds = errors.New("cannot split into folds")

// MaxFolds is the most folds a cross-validation may ask for.
const MaxFolds = 20

// FoldAssignment gives every labelled image (train and valid pooled, in
// that order) its fold: stratified, so each fold holds about 1/k of every
// class, and fixed by the seed alone, so every arm of a sweep validates on
// the same images whatever its own seed.
//
// Within a class the images are shuffled by (seed, class) and dealt to the
// folds in turn, starting at a fold that rotates with the class, so that
// classes whose size is not a multiple of k do not all crowd the first
// folds.
func FoldAssignment(pooled Split, k int, seed int64) ([]int, error) {
	if k < 2 || k > MaxFolds {
		return nil, fmt.Errorf("%w: %d folds: want 2 to %d", ErrFolds, k, MaxFolds)
	}
	byClass := make([][]int, len(pooled.Classes))
	for i, s := range pooled.Samples {
		byClass[s.Label] = append(byClass[s.Label], i)
	}
	fold := make([]int, len(pooled.Samples))
	for c, idx := range byClass {
		if len(idx) < 2 {
			return nil, fmt.Errorf("%w: class %s has %d image(s); cross-validation needs at least 2 in every class (add images or leave the class out)",
				ErrFolds, pooled.Classes[c], len(idx))
		}
		perm := append([]int(nil), idx...)
		r := newRand(saltFolds, uint64(seed), uint64(c))
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for j, i := range perm {
			fold[i] = (j + c) % k
		}
	}
	return fold, nil
}

// Pooled is the train and valid splits as one, train first: the images a
// cross-validation deals into folds (test, when there is one, stays out).
func (d *Dataset) Pooled() Split {
	all := Split{Name: "train", Classes: d.Classes}
	all.Samples = append(append(make([]Sample, 0, d.Train.Len()+d.Valid.Len()), d.Train.Samples...), d.Valid.Samples...)
	return all
}

// UseFold makes fold `fold` of a k-fold cross-validation the validation
// split and the other folds the training split (both in pooled order),
// and folds the choice into the fingerprint, so a run notices when its
// data or its fold changed.
func (d *Dataset) UseFold(k, fold int, seed int64) error {
	if fold < 0 || fold >= k {
		return fmt.Errorf("%w: fold %d of %d: want 0 to %d", ErrFolds, fold, k, k-1)
	}
	pooled := d.Pooled()
	assign, err := FoldAssignment(pooled, k, seed)
	if err != nil {
		return err
	}
	train := Split{Name: "train", Classes: d.Classes}
	valid := Split{Name: "valid", Classes: d.Classes}
	for i, s := range pooled.Samples {
		if assign[i] == fold {
			valid.Samples = append(valid.Samples, s)
		} else {
			train.Samples = append(train.Samples, s)
		}
	}
	d.Train, d.Valid, d.Derived = train, valid, true
	h := sha256.Sum256(fmt.Appendf(nil, "%s folds %d fold %d seed %d", d.Fingerprint, k, fold, seed))
	d.Fingerprint = hex.EncodeToString(h[:16])
	return nil
}
