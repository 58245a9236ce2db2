// Package augment turns image files into the float32 batches a network
// trains on: folder data sets, decoding, resizing, augmentation,
// normalisation and parallel prefetch.
//
// The package imports nothing of reslab but internal/field. Its *Batch satisfies the training
// loop's small train.Batch interface (Len, Pixels, Labels) by structure,
// which keeps the dependency pointing one way and lets either side be
// tested alone.
//
// Geometry is shared between training and prediction on purpose: an
// un-augmented training view, a validation image and Preprocess all see the
// same "resize the shorter side, then centre-crop" picture, with the same
// channel order and normalisation, so a model never meets pixels at
// prediction time that differ from what it was trained on.
package augment
