// Package sysmem reads the machine's memory and cores and the process's use
// of them: what the memory estimates are held against, what benchmarks
// report and what the run screen's system line shows. On
// systems without /proc or getrusage the readers return 0 (unknown) rather
// than failing, since every caller has a fallback.
//
// It imports nothing of reslab.
package sysmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Physical is the machine's memory in bytes (MemTotal), 0 if unknown.
func Physical() int64 { return meminfo("MemTotal:") }

// Available is the memory available to a new process in bytes
// (MemAvailable), 0 if unknown.
func Available() int64 { return meminfo("MemAvailable:") }

// PeakRSS is the process's peak resident set size in bytes (getrusage), 0
// if unknown.
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}

// meminfo reads one /proc/meminfo field in bytes; 0 if it cannot.
func meminfo(field string) int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == field {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
