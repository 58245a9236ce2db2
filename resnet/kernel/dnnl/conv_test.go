//go:build dnnl

package dnnl

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// naive is the convolution by its definition, in float64: y[n][o][i][j] =
// Σ x[n][c][i·s−p+a][j·s−p+b]·w[o][c][a][b], with ∂x and ∂w as its
// transposes.
type naive struct{ n, c, h, w, o, k, s, p, ho, wo int }

func (g naive) each(f func(xi, wi, yi int)) {
	for n := 0; n < g.n; n++ {
		for o := 0; o < g.o; o++ {
			for i := 0; i < g.ho; i++ {
				for j := 0; j < g.wo; j++ {
					yi := ((n*g.o+o)*g.ho+i)*g.wo + j
					for c := 0; c < g.c; c++ {
						for a := 0; a < g.k; a++ {
							for b := 0; b < g.k; b++ {
								ih, iw := i*g.s-g.p+a, j*g.s-g.p+b
								if ih < 0 || ih >= g.h || iw < 0 || iw >= g.w {
									continue
								}
								f(((n*g.c+c)*g.h+ih)*g.w+iw, ((o*g.c+c)*g.k+a)*g.k+b, yi)
							}
						}
					}
				}
			}
		}
	}
}

func random(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func closeTo(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	worst := 0.0
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i])-want[i])/(1+math.Abs(want[i])))
	}
	if worst > 1e-4 {
		t.Errorf("%s: worst relative difference %.3g from the definition", what, worst)
	}
}

// TestPassesMatchTheDefinition runs each pass on the convolutions a ResNet
// has (7×7 stride 2, 3×3 strides 1 and 2, 1×1 strides 1 and 2), on channel
// counts that are and are not multiples of oneDNN's blocks, and on an input
// the stride does not divide.
func TestPassesMatchTheDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range []naive{
		{n: 2, c: 3, h: 19, w: 17, o: 16, k: 7, s: 2, p: 3},
		{n: 2, c: 16, h: 9, w: 9, o: 16, k: 3, s: 1, p: 1},
		{n: 3, c: 20, h: 9, w: 8, o: 36, k: 3, s: 2, p: 1},
		{n: 2, c: 32, h: 6, w: 6, o: 64, k: 1, s: 1, p: 0},
		{n: 2, c: 24, h: 7, w: 7, o: 40, k: 1, s: 2, p: 0},
		{n: 2, c: 16, h: 8, w: 8, o: 32, k: 1, s: 2, p: 0}, // a shortcut on an even side: right padding −1
	} {
		g.ho, g.wo = (g.h+2*g.p-g.k)/g.s+1, (g.w+2*g.p-g.k)/g.s+1
		cv, err := NewConv(g.n, g.c, g.h, g.w, g.o, g.k, g.s, g.p)
		if err != nil {
			t.Fatal(err)
		}
		x, w, dy := random(r, g.n*g.c*g.h*g.w), random(r, g.o*g.c*g.k*g.k), random(r, g.n*g.o*g.ho*g.wo)
		y, dx, dw := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w))
		for _, out := range [][]float32{y, dx, dw} { // the passes overwrite, not add
			for i := range out {
				out[i] = 7
			}
		}
		for _, run := range []struct {
			p         Pass
			a, b, out []float32
		}{{Forward, x, w, y}, {BackwardData, w, dy, dx}, {BackwardWeights, x, dy, dw}} {
			if err := cv.Run(run.p, run.a, run.b, run.out); err != nil {
				t.Fatalf("%+v: %v", g, err)
			}
		}
		wantY, wantDx, wantDw := make([]float64, len(y)), make([]float64, len(x)), make([]float64, len(w))
		g.each(func(xi, wi, yi int) {
			wantY[yi] += float64(x[xi]) * float64(w[wi])
			wantDx[xi] += float64(w[wi]) * float64(dy[yi])
			wantDw[wi] += float64(x[xi]) * float64(dy[yi])
		})
		closeTo(t, "forward", y, wantY)
		closeTo(t, "input gradient", dx, wantDx)
		closeTo(t, "weight gradient", dw, wantDw)
		t.Logf("%+v: %s, %s, %s", g, cv.Impl(Forward), cv.Impl(BackwardData), cv.Impl(BackwardWeights))
		cv.Close()
	}
}

func TestRunRefusesShortOperands(t *testing.T) {
	cv, err := NewConv(1, 2, 4, 4, 3, 3, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer cv.Close()
	if err := cv.Run(Forward, make([]float32, 32), make([]float32, 54), make([]float32, 47)); err == nil {
		t.Error("an output one element short ran")
	}
	if _, err := NewConv(1, 2, 2, 2, 3, 5, 1, 0); err == nil {
		t.Error("a 5×5 kernel over a 2×2 input was accepted")
	}
	if _, err := NewConv(1, 1, 2, 2, 1, 3, 2, 0); err == nil {
		t.Error("a 3×3 kernel over a 2×2 input was accepted with stride 2")
	}
	var e *Error
	if err := cv.Run(Pass(7), nil, nil, nil); err == nil || errors.As(err, &e) {
		t.Errorf("an unknown pass: %v", err)
	}
}
