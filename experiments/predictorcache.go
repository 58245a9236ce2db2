package experiments

import (
	"errors"
	"sync"
)

// PredictorCache keeps each run's predictor loaded once it has been used,
// so that stepping through images does not reload weights. A Predictor's
// model runs one batch at a time, so With holds the cache's lock while its
// function runs; it is safe to call from several goroutines.
type PredictorCache struct {
	mu     sync.Mutex
	byRun  map[string]*Predictor
	closed bool
	// open loads a run's predictor; OpenRunPredictor with the top 5 unless
	// a test replaces it.
	open func(*Run) (*Predictor, error)
}

// ErrCacheClosed is returned by With after Close.
var ErrCacheClosed = errors.New("predictor cache closed")

// NewPredictorCache is an empty cache that loads each run's best weights
// with its top five classes.
func NewPredictorCache() *PredictorCache {
	return &PredictorCache{byRun: map[string]*Predictor{}, open: func(r *Run) (*Predictor, error) { return OpenRunPredictor(r, 5) }}
}

// With runs f with run r's predictor, loading it the first time.
func (c *PredictorCache) With(r *Run, f func(*Predictor) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrCacheClosed
	}
	p, ok := c.byRun[r.ID]
	if !ok {
		var err error
		if p, err = c.open(r); err != nil {
			return err
		}
		c.byRun[r.ID] = p
	}
	return f(p)
}

// Close releases every predictor; later calls to With fail.
func (c *PredictorCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, p := range c.byRun {
		p.Close()
		delete(c.byRun, id)
	}
	c.closed = true
}
