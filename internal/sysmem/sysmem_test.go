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
	// 64 MiB touched and still held is resident, so the peak is at least
	// that (in bytes, not getrusage's kilobytes).
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if peak := PeakRSS(); peak < 64<<20 || peak > phys {
		t.Fatalf("PeakRSS %d with 64 MiB resident: want between 64 MiB and the machine's %d", peak, phys)
	}
	_ = buf[len(buf)-1]
}
