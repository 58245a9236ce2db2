package experiments

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// told waits up to d for a tell on ch.
func told(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

func TestWatchTellsOfRunsWrittenElsewhere(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := store.Watch(ctx)
	if err != nil {
		t.Skipf("no filesystem notifications here (%v): the lab polls", err)
	}
	// A run created by another process: its folder, then its files.
	w, err := store.Create(RunMeta{Spec: tinySpec()})
	if err != nil {
		t.Fatal(err)
	}
	if !told(ch, 2*time.Second) {
		t.Fatal("a new run was not told")
	}
	// Writes inside the new folder are seen (it was watched on creation).
	w.Status.Epochs = 1
	if err := w.SaveStatus(); err != nil {
		t.Fatal(err)
	}
	if !told(ch, 2*time.Second) {
		t.Error("a status write inside a new run was not told")
	}
	// A checkpoint alone changes nothing a list shows.
	os.WriteFile(filepath.Join(w.Dir, LastWeightsFile), []byte("x"), 0o644)
	if told(ch, 400*time.Millisecond) {
		t.Error("a checkpoint write was told")
	}
	w.Close()
	cancel()
	for range ch { // closes when ctx ends
	}
}
