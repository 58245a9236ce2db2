// Package simd holds reslab's Go-assembly routines: the packed float32 matrix
// product (Sgemm) with its AVX-512 and AVX2 micro-kernels, chosen at run time
// from what the CPU supports, and the vector loops the kernels spend most of
// their remaining time in.
//
// It is a package of its own, without cgo, so that both builds use it: a
// package that uses cgo (the OpenBLAS build of resnet/kernel) cannot hold Go
// assembly. Every routine has a plain Go twin for CPUs without the
// instructions, and the tests run each one the CPU has against it.
package simd
