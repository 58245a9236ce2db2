package jpeg

import "encoding/binary"

// Orientation is the EXIF orientation tag (1–8) of a JPEG file, or 0 when it
// has none or it cannot be read. It reads what imaging.Decode's
// AutoOrientation reads, by the same rules: the first APP1 segment after the
// start-of-image marker, an Exif header, IFD0's tag 0x0112.
func Orientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return 0
	}
	p := data[2:]
	for {
		if len(p) < 4 || p[0] != 0xff {
			return 0
		}
		marker, size := p[1], int(binary.BigEndian.Uint16(p[2:]))
		if marker == 0xe1 {
			p = p[4:]
			break
		}
		if size < 2 || len(p) < 2+size {
			return 0
		}
		p = p[2+size:]
	}
	// "Exif\0\0", then the TIFF header: byte order, 42, IFD0's offset.
	if len(p) < 14 || string(p[:4]) != "Exif" {
		return 0
	}
	tiff := p[6:]
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "MM":
		order = binary.BigEndian
	case "II":
		order = binary.LittleEndian
	default:
		return 0
	}
	offset := order.Uint32(tiff[4:])
	if offset < 8 || uint64(offset)+2 > uint64(len(tiff)) {
		return 0
	}
	ifd := tiff[offset:]
	n := int(order.Uint16(ifd))
	for i := range n {
		if 2+12*(i+1) > len(ifd) {
			return 0
		}
		e := ifd[2+12*i:]
		if order.Uint16(e) != 0x0112 {
			continue
		}
		if v := int(order.Uint16(e[8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}
