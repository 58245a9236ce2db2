package sysmem

import (
	"os"
	"testing"
)

func TestReadsThisMachine(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo on this system")
	}
	phys, avail := Physical(), Available()
	if phys <= 0 || avail <= 0 || avail > phys {
		t.Fatalf("Physical %d, Available %d: want 0 < available <= physical", phys, avail)
	}
	before := PeakRSS()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if after := PeakRSS(); after < before+32<<20 {
		t.Fatalf("PeakRSS %d after touching 64 MiB, %d before: want at least 32 MiB more", after, before)
	}
	_ = buf[len(buf)-1]
}
