package main

import (
	"io"
	"os"

	"github.com/reslab/reslab/internal/atomicfile"
)

// writeFileAtomic writes a user-named output file through the run store's
// temp-and-rename writer, so a full disk never leaves half a report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, func(f *os.File) error { return write(f) })
}
