package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/reslab/reslab/experiments"
	"github.com/reslab/reslab/train"
)

// progress reports an epoch in progress on stderr, as Keras's fit does:
// on a terminal one line redrawn in place with a bar, elsewhere (a log,
// a pipe, a Slurm job's output) a plain line every interval. stdout keeps
// only the epoch lines and the run id, for scripts.
type progress struct {
	w                        io.Writer
	terminal                 bool
	interval                 time.Duration
	trainImages, validImages int
	hist                     []train.EpochMetrics
	last                     time.Time
	drawn                    bool // a line is on the terminal without its newline
	now                      func() time.Time
}

func newProgress(stderr io.Writer, trainImages, validImages int) *progress {
	p := &progress{w: stderr, interval: 10 * time.Second, trainImages: trainImages, validImages: validImages, now: time.Now}
	if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		p.terminal, p.interval = true, 250*time.Millisecond
	}
	p.last = p.now()
	return p
}

// step reports a batch; it writes only when the interval has passed.
func (p *progress) step(s train.StepEvent) {
	if now := p.now(); now.Sub(p.last) >= p.interval || (p.terminal && s.Step == s.Steps) {
		p.last = now
		line := p.line(s)
		if p.terminal {
			fmt.Fprintf(p.w, "\r\x1b[K%s", line)
			p.drawn = true
		} else {
			fmt.Fprintln(p.w, line)
		}
	}
}

// epoch records a finished epoch (for the ETA) and clears the bar before
// the epoch's line is printed.
func (p *progress) epoch(m train.EpochMetrics) {
	p.hist = append(p.hist, m)
	p.clear()
	p.last = p.now()
}

func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

func (p *progress) line(s train.StepEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d/%d ", s.Epoch, s.Epochs)
	if p.terminal {
		const cells = 24
		done := cells * s.Step / max(s.Steps, 1)
		b.WriteString("[" + strings.Repeat("=", done) + strings.Repeat(" ", cells-done) + "] ")
	}
	fmt.Fprintf(&b, "%d/%d batches · loss %.4f · acc %.1f%% · %.1f img/s", s.Step, s.Steps, s.Loss, 100*s.Acc, s.ImagesPerSec)
	if el, rl, ok := train.ETA(s, p.hist, p.trainImages, p.validImages); ok {
		b.WriteString(" · " + experiments.ETA(el, rl))
	}
	return b.String()
}
