// Package kernel holds reslab's gorgonia ops and the CPU kernels behind them:
// the convolution (im2col, col2im and the packed AVX-512/AVX2 matrix
// product of package simd; on its AVX-512 and AVX2 kernels, stride-1
// convolutions as wide as their input multiply straight from a zero-padded
// copy of it, forwardPadded), BatchNorm with its fused shortcut and ReLU
// epilogues, the inference
// convolution with BatchNorm folded in, max-pooling, global average pooling,
// ELU, dropout, bias addition and softmax cross-entropy, and the choice of
// matrix product (Products, UseProduct) for the convolutions and gorgonia's
// own products.
//
// Every op computes what PyTorch's computes (cross-correlation, unbiased
// running variance, momentum 0.1, ties in max-pooling going to the first
// element) and is checked against gorgonia's own op where one exists and
// against finite differences where it is differentiable. Each op reuses its
// output tensor from one run to the next, so a graph allocates nothing in
// steady state.
//
// The package knows shapes and tensors, not networks: it must not import
// resnet, train or anything above them, and holds no model types. The
// matrix products are installed in gorgonia by UseBLAS, which the binary
// calls at start-up; nothing happens on import.
package kernel
