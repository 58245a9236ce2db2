// Package resnet is the network: torchvision's ResNet-18, 34, 50 and 101
// (v1.5) with a configurable head, built as gorgonia graphs from one
// description of the layers, trained with reslab's Adam, saved and loaded as
// torchvision/timm-style safetensors, and sized by a memory estimate that
// walks the same shapes without building anything.
//
// A Model implements train.Learner, so the training loop drives it without
// knowing it is a ResNet. Its numerics are checked against PyTorch on the
// same weights (testdata/torchref, made by tools/torchref) and its blocks
// against finite differences.
//
// It may import resnet/kernel, train (for the Learner's types) and
// internal; never experiments, augment or any UI.
package resnet
