package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/reslab/reslab/train"
)

// Without a terminal, progress is a plain line per interval (none before),
// with images/s and an ETA; the epoch's end starts the interval again.
func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	p := newProgress(&buf, 320, 32)
	p.now = func() time.Time { return clock }
	p.last = clock
	step := func(i int, at time.Duration) {
		clock = time.Unix(0, 0).Add(at)
		p.step(train.StepEvent{Epoch: 1, Epochs: 3, Step: i, Steps: 10, Loss: 1.5, Acc: 0.25, ImagesPerSec: 32, Elapsed: at.Seconds()})
	}
	step(1, 1*time.Second)
	step(2, 9*time.Second)
	if buf.Len() != 0 {
		t.Fatalf("printed before the interval: %q", buf.String())
	}
	step(3, 11*time.Second)
	line := buf.String()
	for _, want := range []string{"epoch 1/3", "3/10 batches", "loss 1.5000", "acc 25.0%", "32.0 img/s", "ETA "} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "\r") || strings.Count(line, "\n") != 1 {
		t.Errorf("not one plain line: %q", line)
	}
	step(4, 12*time.Second)
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("a second line within the interval: %q", buf.String())
	}
}
