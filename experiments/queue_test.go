package experiments

import (
	"errors"
	"testing"
)

func TestQueueRunsSpecsInOrderAndCancels(t *testing.T) {
	a, b, c := DefaultSpec(), DefaultSpec(), DefaultSpec()
	a.Arch, b.Arch, c.Arch = 18, 34, 50
	q := NewQueue([]Spec{a, b, c})
	if !q.Sweep() || q.Total() != 3 {
		t.Fatalf("sweep %v of %d", q.Sweep(), q.Total())
	}
	first, ok := q.Next()
	if !ok || first.Spec.Arch != 18 {
		t.Fatalf("first %v, %v", first.Spec.Arch, ok)
	}
	q.Started("run-18")
	if got := len(q.Waiting()); got != 2 {
		t.Fatalf("%d waiting, want 2", got)
	}
	if ContinuesAfter(StateStopped) || ContinuesAfter(StateFailed) || !ContinuesAfter(StateEarlyStopped) {
		t.Fatal("only completed and early-stopped runs continue a sweep")
	}
	if n := q.Cancel(); n != 2 {
		t.Fatalf("Cancel dropped %d, want 2", n)
	}
	if _, ok := q.Next(); ok || len(q.StartedIDs()) != 1 {
		t.Fatalf("after Cancel: next %v, started %v", ok, q.StartedIDs())
	}
	if NewQueue([]Spec{a}).Sweep() {
		t.Fatal("one spec is not a sweep")
	}
}

func TestPredictorCacheLoadsOnceAndCloses(t *testing.T) {
	c := NewPredictorCache()
	loads := 0
	c.open = func(r *Run) (*Predictor, error) {
		loads++
		if r.ID == "bad" {
			return nil, errors.New("no weights")
		}
		return &Predictor{}, nil
	}
	var seen []*Predictor
	for range 3 {
		if err := c.With(&Run{ID: "a"}, func(p *Predictor) error { seen = append(seen, p); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if loads != 1 || seen[0] != seen[2] {
		t.Fatalf("%d loads for three uses of one run, want 1 and the same predictor", loads)
	}
	if err := c.With(&Run{ID: "bad"}, func(*Predictor) error { return nil }); err == nil {
		t.Fatal("a run whose weights fail to load gave no error")
	}
	c.byRun = map[string]*Predictor{} // nothing loaded to close: Predictor{} has no model
	c.Close()
	if err := c.With(&Run{ID: "a"}, func(*Predictor) error { return nil }); !errors.Is(err, ErrCacheClosed) {
		t.Fatalf("With after Close: %v", err)
	}
}
