package experiments

import (
	"strings"
	"testing"

	"github.com/reslab/reslab/resnet"
	"github.com/reslab/reslab/train"
)

func filterRuns() []*Run {
	mk := func(id, name, data string, arch int, lr float64, state State, acc float64) *Run {
		sp := DefaultSpec()
		sp.Arch, sp.Name, sp.Data, sp.LR = resnet.Arch(arch), name, data, lr
		return &Run{ID: id, Meta: RunMeta{Spec: sp}, Status: RunStatus{State: state, BestEpoch: 1},
			Metrics: []train.EpochMetrics{{Epoch: 1, ValAcc: acc, ValLoss: 1 - acc}}}
	}
	return []*Run{
		mk("20261201-100000-r18-aaaa", "flowers-small", "/d/flowers10", 18, 3e-3, StateCompleted, 0.70),
		mk("20261201-110000-r50-bbbb", "flowers-deep", "/d/flowers10", 50, 5e-4, StateCompleted, 0.84),
		mk("20261201-120000-r50-cccc", "pretrain", "/d/flowers92", 50, 1e-3, StateStopped, 0.55),
		mk("20261201-130000-r34-dddd", "", "", 34, 1e-3, StateInterrupted, 0.60),
	}
}

func TestFilterLanguage(t *testing.T) {
	runs := filterRuns()
	for _, c := range []struct {
		q    string
		want string // the matching runs' last id letters
	}{
		{"", "abcd"},
		{"arch:resnet50", "bc"},
		{"arch:r50 lr<1e-3", "b"},
		{"arch>=34", "bcd"},
		{"status:completed name:~flowers", "ab"},
		{"name:flowers", ""}, // : is equality
		{"acc>=80%", "b"},
		{"acc>0.65", "ab"},
		{"data:flowers92", "c"},
		{"data:demo", "d"},
		{"status!=completed", "cd"},
		{"name!~flowers", "cd"},
		{"r34", "d"},      // a bare word: any column
		{"FLOWERS", "ab"}, // without case, in names; flowers10/92 data too
		{"lr=1e-3", "cd"},
	} {
		f, err := ParseFilter(c.q)
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		got := ""
		for _, r := range runs {
			if f.Match(r) {
				got += r.ID[len(r.ID)-1:]
			}
		}
		if c.q == "FLOWERS" {
			c.want = "abc" // flowers92 is data
		}
		if got != c.want {
			t.Errorf("%q matched %q, want %q", c.q, got, c.want)
		}
	}
	for _, c := range []struct{ q, want string }{
		{"depth:50", `no field "depth"`},
		{"arch:r51", "want 18, 34, 50 or 101"},
		{"lr<fast", `lr wants a number, not "fast"`},
		{"status<3", "status is text"},
		{"lr:~1", "lr is a number"},
	} {
		if _, err := ParseFilter(c.q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.q, err, c.want)
		}
	}
}
