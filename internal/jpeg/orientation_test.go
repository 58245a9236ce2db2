package jpeg

import (
	"encoding/binary"
	"testing"
)

// exifJPEG is a start-of-image marker, an APP0 segment, and an APP1 Exif
// segment whose IFD0 holds a dummy tag and then the orientation tag.
func exifJPEG(order binary.ByteOrder, orientation uint16) []byte {
	tiff := make([]byte, 8+2+2*12)
	if order == binary.BigEndian {
		copy(tiff, "MM")
	} else {
		copy(tiff, "II")
	}
	order.PutUint16(tiff[2:], 42)
	order.PutUint32(tiff[4:], 8)
	order.PutUint16(tiff[8:], 2)
	order.PutUint16(tiff[10:], 0x010f) // Make, skipped
	order.PutUint16(tiff[22:], 0x0112)
	order.PutUint16(tiff[24:], 3) // SHORT
	order.PutUint32(tiff[26:], 1)
	order.PutUint16(tiff[30:], orientation)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 4, 'J', 'F'}
	out = append(out, 0xff, 0xe1, byte((len(app1)+2)>>8), byte(len(app1)+2))
	return append(append(out, app1...), 0xff, 0xd9)
}

func TestOrientation(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		for _, o := range []uint16{1, 3, 6, 8} {
			if got := Orientation(exifJPEG(order, o)); got != int(o) {
				t.Errorf("%v, orientation %d: read %d", order, o, got)
			}
		}
		if got := Orientation(exifJPEG(order, 9)); got != 0 {
			t.Errorf("%v: orientation 9 read as %d, want 0 (invalid)", order, got)
		}
	}
	good := exifJPEG(binary.BigEndian, 6)
	for cut := range len(good) - 2 {
		if got := Orientation(good[:cut]); got != 0 && got != 6 {
			t.Fatalf("cut at %d: read %d", cut, got)
		}
	}
	if got := Orientation(testFiles(t)["video-001.jpeg"]); got != 0 {
		t.Errorf("a file without Exif read as %d", got)
	}
}

// FuzzOrientation: no input makes Orientation panic or return a value
// outside 0–8.
func FuzzOrientation(f *testing.F) {
	f.Add(exifJPEG(binary.BigEndian, 6))
	f.Add(exifJPEG(binary.LittleEndian, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := Orientation(data); o < 0 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
