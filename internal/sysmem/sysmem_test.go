package sysmem

import (
	"os"
	"testing"
	"time"
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

func TestCoreUseWhileSpinning(t *testing.T) {
	before := ReadCPU()
	if len(before.total) == 0 {
		t.Skip("no /proc/stat on this system")
	}
	// Keep one core busy for a while: some core must read busy.
	deadline := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	use := CoreUse(before, ReadCPU())
	if len(use) != len(before.total) {
		t.Fatalf("%d cores read, %d use figures", len(before.total), len(use))
	}
	top := 0.0
	for _, u := range use {
		if u < 0 || u > 1 {
			t.Fatalf("core use %v outside [0, 1]", use)
		}
		top = max(top, u)
	}
	if top < 0.5 {
		t.Errorf("a core spun for 300 ms but the busiest read %.0f%% (%v)", 100*top, use)
	}
	if r := RSS(); r <= 0 || r > Physical() {
		t.Errorf("RSS %d", r)
	}
	_ = x
}
