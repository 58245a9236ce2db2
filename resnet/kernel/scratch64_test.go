package kernel

import (
	"fmt"
	"testing"
)

func BenchmarkScratch64(b *testing.B) {
	cases := []convCase{
		{8, 3, 64, 64, 64, 7, 2, 3},
		{8, 64, 16, 16, 64, 3, 1, 1},
		{8, 64, 16, 16, 128, 3, 2, 1},
		{8, 128, 8, 8, 128, 3, 1, 1},
		{8, 64, 16, 16, 128, 1, 2, 0},
		{8, 128, 8, 8, 256, 3, 2, 1},
		{8, 256, 4, 4, 256, 3, 1, 1},
		{8, 256, 4, 4, 512, 3, 2, 1},
		{8, 512, 2, 2, 512, 3, 1, 1},
	}
	for _, c := range cases {
		b.Run(fmt.Sprint(c), func(b *testing.B) {
			g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
			x, w := c.values(1)
			y := make([]float32, c.n*c.cout*g.p)
			b.ResetTimer()
			for range b.N {
				g.forward(x, w, y)
			}
			b.ReportMetric(2*float64(c.n*c.cout*g.ckk*g.p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
