package jpeg

import "io"

// The entropy decoding of sequential scans, reslab's addition to Go's
// decoder. Go's reads a byte at a time into a 32-bit accumulator, checks
// for a byte-stuffed 0xff on every byte and spends two calls per
// coefficient (the Huffman code, then its extra bits); after the reduced
// inverse DCT that was over half of a reduced decode. Here the scan's
// bytes are read straight from the file in memory into a 64-bit
// accumulator, and a coefficient whose code and extra bits together fit in
// fastBits is looked up whole, as libjpeg-turbo and stb_image do. The
// result is the same coefficients in the same blocks: progressive scans,
// and files decoded from a stream, keep Go's path.

// fastBits is the look-ahead of the combined AC table: a code and its
// extra bits that fit in it are decoded with one lookup.
const fastBits = 10

// buildFastAC fills h.fastAC from h's look-up table and codes. An entry is
// the coefficient's value <<16 | its zero run <<8 | the bits it takes (code
// and extra bits); zero where the code is longer, an end of block or a run
// of sixteen zeros, or the extra bits do not fit. Each entry is what
// symbol then take decode from its bits, so a crafted table (codes that
// overflow their length) decodes alike on both paths.
func (h *huffman) buildFastAC() {
	for i := range h.fastAC {
		r := entropyReader{acc: uint64(i) << (64 - fastBits), n: 64}
		rs, err := r.symbol(h)
		used := 64 - r.n
		run, size := uint(rs>>4), uint(rs&0x0f)
		if err != nil || size == 0 || used+size > fastBits {
			h.fastAC[i] = 0
			continue
		}
		v := extend(r.take(uint8(size)), uint8(size))
		h.fastAC[i] = v<<16 | int32(run<<8|(used+size))
	}
}

// extend is EXTEND of section F.2.2.1: the t-bit value v as a signed
// coefficient.
func extend(v uint32, t uint8) int32 {
	if t == 0 {
		return 0
	}
	if v < 1<<(t-1) {
		return int32(v) + (-1 << t) + 1
	}
	return int32(v)
}

// entropyReader is the bit reader of one entropy-coded segment (a scan, or
// a restart interval of one) read from memory.
type entropyReader struct {
	data []byte
	// pos is the next byte of data to load: after the segment it is the
	// marker that ends it.
	pos int
	// acc holds n unread bits, most significant first.
	acc uint64
	n   uint
	// pad is how many of acc's last bits are zeros fed after the segment
	// ended (at a marker or at the end of the file); reading into them
	// means the data was short.
	pad uint
	// ended is set when loading met the segment's end; atMarker says
	// whether that was a marker rather than the end of the file.
	ended, atMarker bool
}

// refill loads bytes until acc holds more than 56 bits, undoing the
// byte stuffing (0xff 0x00 is 0xff) and feeding zeros once a marker or the
// end of the data is reached.
func (r *entropyReader) refill() {
	for r.n <= 56 {
		var c byte
		if !r.ended {
			switch {
			case r.pos >= len(r.data):
				r.ended = true
			case r.data[r.pos] != 0xff:
				c = r.data[r.pos]
				r.pos++
			case r.pos+1 >= len(r.data):
				r.ended = true // a 0xff that the file ends on
			case r.data[r.pos+1] == 0x00:
				c = 0xff
				r.pos += 2
			default:
				r.ended, r.atMarker = true, true
			}
		}
		if r.ended {
			r.pad += 8
		}
		r.acc |= uint64(c) << (56 - r.n)
		r.n += 8
	}
}

// take consumes and returns the next t (at most 32) bits; the caller has
// made sure acc holds them.
func (r *entropyReader) take(t uint8) uint32 {
	v := uint32(r.acc >> (64 - uint(t)))
	r.acc <<= t
	r.n -= uint(t)
	return v
}

// symbol decodes the next Huffman-coded value with h: one lookup of the
// next 8 bits for the short codes, Go's code-by-code search for the rest.
// The caller has made sure acc holds 16 bits.
func (r *entropyReader) symbol(h *huffman) (uint8, error) {
	if v := h.lut[r.acc>>(64-lutSize)]; v != 0 {
		n := uint(v&0xff) - 1
		r.acc <<= n
		r.n -= n
		return uint8(v >> 8), nil
	}
	for i := range maxCodeLength {
		code := int32(r.acc >> (63 - uint(i)))
		if code <= h.maxCodes[i] {
			r.acc <<= uint(i + 1)
			r.n -= uint(i + 1)
			return h.vals[h.valsIndices[i]+code-h.minCodes[i]], nil
		}
	}
	return 0, FormatError("bad Huffman code")
}

// short is the error for a segment whose codes ran past its data: what
// Go's reader reports for a marker, or for the end of the file, met there.
func (r *entropyReader) short() error {
	if r.atMarker {
		return errMissingFF00
	}
	return errShortHuffmanData
}

// beginEntropy starts reading an entropy-coded segment at the decoder's
// position, or returns nil when the file is not in memory.
func (d *decoder) beginEntropy() *entropyReader {
	if d.src == nil {
		return nil
	}
	pos := len(d.data) - d.src.Len() - (d.bytes.j - d.bytes.i)
	return &entropyReader{data: d.data, pos: pos}
}

// endEntropy moves the decoder to where r stopped loading: the marker after
// the segment, for a well-formed one.
func (d *decoder) endEntropy(r *entropyReader) error {
	if _, err := d.src.Seek(int64(r.pos), io.SeekStart); err != nil {
		return err
	}
	d.bytes.i, d.bytes.j, d.bytes.nUnreadable = 0, 0, 0
	d.bits = bits{}
	return nil
}

// decodeSequentialBlock decodes one block of a sequential scan into b
// (zeroed by the caller) with the DC and AC tables given, updating the
// component's DC predictor: Go's DC and AC loops of processSOS with zigStart
// 0, zigEnd 63 and al 0, including its handling of end-of-band runs. It
// returns the zig-zag index of the last coefficient written (0 when there
// is no AC coefficient): every one past it is zero.
func (d *decoder) decodeSequentialBlock(r *entropyReader, b *block, dcTab, acTab *huffman, dc *int32) (last int, err error) {
	if dcTab.nCodes == 0 {
		return 0, FormatError("uninitialized Huffman table")
	}
	if r.n < 32 {
		r.refill()
	}
	t, err := r.symbol(dcTab)
	if err != nil {
		return 0, r.badCode(err)
	}
	if t > 16 {
		return 0, r.after(UnsupportedError("excessive DC component"))
	}
	*dc += extend(r.take(t), t)
	b[0] = *dc

	if d.eobRun > 0 {
		d.eobRun--
		return 0, r.check()
	}
	if acTab.nCodes == 0 {
		return 0, r.after(FormatError("uninitialized Huffman table"))
	}
	for zig := 1; zig < blockSize; zig++ {
		if r.n < 32 {
			r.refill()
		}
		if e := acTab.fastAC[r.acc>>(64-fastBits)]; e != 0 {
			if z := zig + int(e>>8&0xff); z < blockSize {
				r.acc <<= uint(e & 0xff)
				r.n -= uint(e & 0xff)
				b[unzig[z]] = e >> 16
				zig = z
				last = z
				continue
			}
		}
		value, err := r.symbol(acTab)
		if err != nil {
			return 0, r.badCode(err)
		}
		run, size := int(value>>4), value&0x0f
		if size != 0 {
			zig += run
			if zig >= blockSize {
				break
			}
			b[unzig[zig]] = extend(r.take(size), size)
			last = zig
			continue
		}
		if run != 0x0f {
			d.eobRun = uint16(1 << run)
			if run != 0 {
				d.eobRun |= uint16(r.take(uint8(run)))
			}
			d.eobRun--
			break
		}
		zig += 0x0f
	}
	return last, r.check()
}

// badCode is the error for a code that matched none of its table's: Go's
// reader reads its sixteen bits one by one, so when fewer were left in the
// segment it reports the segment short instead.
func (r *entropyReader) badCode(err error) error {
	if r.n < r.pad+maxCodeLength {
		return r.short()
	}
	return err
}

// after is err, met after the bits read so far, unless those ran past the
// segment: Go's reader would have stopped there, short of data.
func (r *entropyReader) after(err error) error {
	if r.n < r.pad {
		return r.short()
	}
	return err
}

// check fails when the bits read so far ran into the zeros fed past the
// segment's end.
func (r *entropyReader) check() error {
	if r.n < r.pad {
		return r.short()
	}
	return nil
}
