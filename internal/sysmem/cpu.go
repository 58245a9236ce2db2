package sysmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// CPUTimes are each core's busy and total jiffies since boot (/proc/stat's
// cpuN lines), for use over an interval: see CoreUse.
type CPUTimes struct{ busy, total []uint64 }

// ReadCPU samples every core's times; the zero value (no cores) where
// /proc/stat cannot be read.
func ReadCPU() CPUTimes {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return CPUTimes{}
	}
	defer f.Close()
	var t CPUTimes
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || !strings.HasPrefix(fields[0], "cpu") || fields[0] == "cpu" {
			continue
		}
		var busy, total uint64
		for i, v := range fields[1:] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				break
			}
			total += n
			if i != 3 && i != 4 { // idle and iowait
				busy += n
			}
		}
		t.busy, t.total = append(t.busy, busy), append(t.total, total)
	}
	return t
}

// Cores is the number of cores sampled.
func (t CPUTimes) Cores() int { return len(t.total) }

// CoreUse is each core's busy fraction between two samples, nil when the
// samples do not describe the same cores.
func CoreUse(before, after CPUTimes) []float64 {
	if len(before.total) == 0 || len(before.total) != len(after.total) {
		return nil
	}
	out := make([]float64, len(after.total))
	for i := range out {
		if dt := after.total[i] - before.total[i]; dt > 0 {
			out[i] = float64(after.busy[i]-before.busy[i]) / float64(dt)
		}
	}
	return out
}

// RSS is the process's resident set size now in bytes (/proc/self/statm),
// 0 if unknown.
func RSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
