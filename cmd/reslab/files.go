package main

import (
	"io"
	"os"

	"github.com/reslab/reslab/engine"
)

// writeFileAtomic writes a user-named output file through the engine's
// temp-and-rename writer, so a full disk never leaves half a report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	return engine.WriteFileAtomic(path, func(f *os.File) error { return write(f) })
}
