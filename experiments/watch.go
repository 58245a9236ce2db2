package experiments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch tells, on the returned channel, when something in the runs folder
// changed: a run created or deleted, a run's status, metrics or spec
// written, a sweep or comparison saved. Changes arriving together are
// told once, after a quiet tenth of a second. It uses the operating
// system's notifications (inotify), which see this machine's writes
// within milliseconds but not always other machines' on a network
// filesystem such as NFS; so callers still poll Signature, more slowly,
// as the fallback. The channel closes when ctx ends; an error means
// notifications are not available here and polling is all there is.
func (s *Store) Watch(ctx context.Context) (<-chan struct{}, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(s.Dir); err != nil {
		w.Close()
		return nil, err
	}
	watchDir := func(dir string) { _ = w.Add(dir) } // a folder that vanished is no loss
	if entries, err := os.ReadDir(s.Dir); err == nil {
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				watchDir(filepath.Join(s.Dir, e.Name()))
			}
		}
	}
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		defer w.Close()
		const quiet = 100 * time.Millisecond
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				// A new folder in the runs folder is a run (or the sweeps or
				// comparisons folder): watch inside it too.
				if ev.Has(fsnotify.Create) && filepath.Dir(ev.Name) == filepath.Clean(s.Dir) {
					if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
						watchDir(ev.Name)
					}
				}
				if relevant(ev.Name) {
					timer.Reset(quiet)
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			case <-timer.C:
				select {
				case out <- struct{}{}:
				default: // one pending tell is enough
				}
			}
		}
	}()
	return out, nil
}

// relevant says whether a write to path changes what List or Sweeps read
// (checkpoints and staged files being written do not).
func relevant(path string) bool {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, ".safetensors"), strings.HasPrefix(base, "."), base == "reslab.log", base == lockFile:
		return false
	}
	return true
}
