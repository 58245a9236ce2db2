package experiments

// Queue is a series of runs trained one after another on this machine: the
// lab's sweep. It records which runs started and which wait; it runs
// nothing itself, so a UI or a command drives it.
type Queue struct {
	waiting []QueuedRun
	total   int
	started []string
	// current is the sweep of the run started last (nil for a run of its
	// own); perSweep counts each sweep's runs queued and started.
	current  *Sweep
	perSweep map[*Sweep]*sweepCount
}

type sweepCount struct{ queued, started int }

// QueuedRun is one run waiting: a spec of its own, or a sweep's run by
// index (which Runner.StartSweepRun starts or continues).
type QueuedRun struct {
	Spec  Spec
	Sweep *Sweep // nil for a run of its own
	Index int
}

// NewQueue queues specs in order.
func NewQueue(specs []Spec) *Queue {
	q := &Queue{}
	q.Add(specs...)
	return q
}

// NewSweepQueue queues the given runs of a sweep (those not finished).
func NewSweepQueue(sw *Sweep, indices []int) *Queue {
	q := &Queue{}
	q.AddSweep(sw, indices)
	return q
}

// AddSweep queues the given runs of a sweep after those waiting.
func (q *Queue) AddSweep(sw *Sweep, indices []int) {
	if q.perSweep == nil {
		q.perSweep = map[*Sweep]*sweepCount{}
	}
	if q.perSweep[sw] == nil {
		q.perSweep[sw] = &sweepCount{}
	}
	for _, i := range indices {
		q.waiting = append(q.waiting, QueuedRun{Spec: sw.Runs[i].Spec, Sweep: sw, Index: i})
	}
	q.perSweep[sw].queued += len(indices)
	q.total += len(indices)
}

// Next takes the next run to start; ok is false when none waits.
func (q *Queue) Next() (run QueuedRun, ok bool) {
	if len(q.waiting) == 0 {
		return QueuedRun{}, false
	}
	run, q.waiting = q.waiting[0], q.waiting[1:]
	q.current = run.Sweep
	if run.Sweep != nil {
		q.perSweep[run.Sweep].started++
	}
	return run, true
}

// SweepProgress is the current sweep's runs started so far (the one in
// progress included) and queued in all.
func (q *Queue) SweepProgress() (started, total int) {
	if q.current == nil {
		return 0, 0
	}
	c := q.perSweep[q.current]
	return c.started, c.queued
}

// Add queues more specs after those waiting (a training started while
// another runs).
func (q *Queue) Add(specs ...Spec) {
	for _, s := range specs {
		q.waiting = append(q.waiting, QueuedRun{Spec: s})
	}
	q.total += len(specs)
}

// Started records the run made from the spec Next returned.
func (q *Queue) Started(id string) { q.started = append(q.started, id) }

// Cancel drops the runs still waiting and says how many there were.
func (q *Queue) Cancel() int {
	n := len(q.waiting)
	q.waiting = nil
	return n
}

// Waiting are the runs not started yet.
func (q *Queue) Waiting() []QueuedRun { return q.waiting }

// StartedIDs are the runs started so far, in order.
func (q *Queue) StartedIDs() []string { return q.started }

// Total is the number of runs queued.
func (q *Queue) Total() int { return q.total }

// Sweep says whether the queue is a sweep (more than one run).
func (q *Queue) Sweep() bool { return q.total > 1 }

// SweepName is the name of the saved sweep of the run started last, ""
// for a run of its own.
func (q *Queue) SweepName() string {
	if q.current == nil {
		return ""
	}
	return q.current.Name
}

// ContinuesAfter says whether a sweep goes on after a run ended in state s:
// a completed or early-stopped run lets the next start; a stopped, failed or
// interrupted one ends the sweep, since the user or a fault intervened.
func ContinuesAfter(s State) bool { return s.Finished() }
