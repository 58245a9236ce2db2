// Package turbojpeg decodes JPEG images with libjpeg-turbo, at full size or
// at 1/2, 1/4 or 1/8 scale straight from the DCT coefficients, into RGB.
//
// The library is loaded when the process first asks for it (purego's
// dlopen, no cgo and no build tag), so that the one binary the README's
// first command builds decodes with libjpeg-turbo where the machine has it
// (Debian's libturbojpeg0) and with reslab's pure-Go decoder
// (internal/jpeg) where it does not: Available says which, and why.
//
// libjpeg-turbo's decoding is SIMD throughout (Huffman decoding, inverse
// DCT, colour conversion): on one Zen 4 core a flowers10 photograph takes
// 0.8–0.9 ms at 1/2 and 1.3–1.4 ms at full size, against 2.3 and 3.1 ms
// for the Go decoder (BenchmarkDecodeFlowers, -test.cpu 1), which is what
// makes a run's first epoch, the one that decodes every image, cheaper.
package turbojpeg
