// Package dnnl runs convolutions on oneDNN (Debian's libdnnl-dev, version
// 2.x), the library PyTorch's CPU convolutions use, through cgo. It is built
// only with -tags dnnl; without the tag it is empty and reslab needs no C
// toolchain.
//
// A Conv holds one convolution's three passes (forward, input gradient,
// weight gradient) as oneDNN primitives created on first use. The caller's
// tensors stay in plain NCHW (OIHW for weights); each pass lets oneDNN pick
// its layout (blocked, such as nChw16c, on AVX-512) and reorders into and
// out of it around the primitive, as PyTorch does for NCHW tensors. The
// reordered copies live in buffers shared by every Conv and grown to the
// largest, so a network needs three of them, not three per layer.
//
// All passes run on one OS thread kept for the purpose: oneDNN's OpenMP
// runtime keeps a pool of threads per calling thread, and Go would call it
// from any of its threads.
package dnnl
