package experiments

// Queue is a sweep trained one spec after another on this machine: the
// lab's depth sweep. It records which runs started and which specs wait; it
// runs nothing itself, so a UI or a command drives it.
type Queue struct {
	waiting []Spec
	total   int
	started []string
}

// NewQueue queues specs in order.
func NewQueue(specs []Spec) *Queue {
	return &Queue{waiting: append([]Spec(nil), specs...), total: len(specs)}
}

// Next takes the next spec to start; ok is false when none waits.
func (q *Queue) Next() (spec Spec, ok bool) {
	if len(q.waiting) == 0 {
		return Spec{}, false
	}
	spec, q.waiting = q.waiting[0], q.waiting[1:]
	return spec, true
}

// Add queues more specs after those waiting (a training started while
// another runs).
func (q *Queue) Add(specs ...Spec) {
	q.waiting = append(q.waiting, specs...)
	q.total += len(specs)
}

// Started records the run made from the spec Next returned.
func (q *Queue) Started(id string) { q.started = append(q.started, id) }

// Cancel drops the specs still waiting and says how many there were.
func (q *Queue) Cancel() int {
	n := len(q.waiting)
	q.waiting = nil
	return n
}

// Waiting are the specs not started yet.
func (q *Queue) Waiting() []Spec { return q.waiting }

// StartedIDs are the runs started so far, in order.
func (q *Queue) StartedIDs() []string { return q.started }

// Total is the number of specs queued at the start.
func (q *Queue) Total() int { return q.total }

// Sweep says whether the queue is a sweep (more than one spec).
func (q *Queue) Sweep() bool { return q.total > 1 }

// ContinuesAfter says whether a sweep goes on after a run ended in state s:
// a completed or early-stopped run lets the next start; a stopped, failed or
// interrupted one ends the sweep, since the user or a fault intervened.
func ContinuesAfter(s State) bool { return s == StateCompleted || s == StateEarlyStopped }
