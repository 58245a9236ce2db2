// Package turbojpeg decodes JPEG images with libjpeg-turbo (Debian's
// libturbojpeg0-dev) through cgo, at full size or at 1/2, 1/4 or 1/8 scale
// straight from the DCT coefficients, into RGB. It is built only with -tags
// libjpeg; without the tag it is empty and reslab decodes with its own
// pure-Go decoder (internal/jpeg), about four times slower per image on
// this project's machine.
//
// libjpeg-turbo's decoding is SIMD throughout (Huffman decoding, inverse
// DCT, colour conversion), which is what makes a run's first epoch, the one
// that decodes every image, cheaper.
package turbojpeg
