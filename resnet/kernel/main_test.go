package kernel

import (
	"os"
	"testing"
)

// TestMain installs the build's matrix products, as the binary does at start-up.
func TestMain(m *testing.M) {
	UseBLAS()
	os.Exit(m.Run())
}
