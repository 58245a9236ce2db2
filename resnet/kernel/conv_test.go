package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/reslab/reslab/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type convCase struct{ n, cin, h, w, cout, k, stride, pad int }

func (c convCase) String() string {
	return fmt.Sprintf("x%dx%dx%dx%d_w%dx%dx%d_s%d_p%d", c.n, c.cin, c.h, c.w, c.cout, c.k, c.k, c.stride, c.pad)
}

var convCases = []convCase{
	{1, 3, 7, 7, 4, 3, 1, 1},     // batch 1, 3×3 same
	{3, 5, 9, 11, 6, 3, 2, 1},    // batch 3, stride 2, odd non-square input
	{2, 8, 6, 6, 16, 1, 1, 0},    // 1×1 direct
	{3, 4, 7, 7, 8, 1, 2, 0},     // 1×1 stride 2 (projection shortcut), odd size
	{2, 3, 15, 15, 5, 7, 2, 3},   // 7×7 stride 2 stem, odd size
	{1, 2, 5, 5, 3, 3, 1, 0},     // no padding
	{3, 6, 4, 4, 5, 3, 1, 1},     // few pixels per image: grouped tasks
	{8, 16, 3, 3, 8, 3, 1, 1},    // batch 8, 3×3 images
	{2, 3, 2, 2, 4, 3, 1, 1},     // input smaller than the kernel
	{1, 4, 8, 8, 3, 5, 3, 2},     // 5×5 stride 3
	{3, 2, 6, 6, 3, 3, 1, 2},     // padding wider than k/2
	{1, 5, 12, 10, 4, 1, 1, 0},   // direct, batch 1
	{2, 24, 14, 14, 12, 3, 2, 1}, // larger
	{2, 3, 6, 5, 4, 5, 1, 2},     // 5×5 same: two columns off each edge
	{4, 8, 1, 1, 4, 3, 1, 1},     // 1×1 images, 3×3 same
	{4, 8, 3, 3, 64, 3, 1, 1},    // small batch output, many channels: split by channels
	{3, 16, 2, 2, 50, 1, 1, 0},   // the same, direct 1×1, channels not a multiple of the block
}

// convValues is a case's random input and weights.
func (c convCase) values(seed uint64) (x, w []float32) {
	rng := rand.New(rand.NewPCG(seed, 99))
	return gradcheck.RandomValues(c.n*c.cin*c.h*c.w, rng), gradcheck.RandomValues(c.cout*c.cin*c.k*c.k, rng)
}

// runConv builds y = conv(x, w) and L = Σ r·y with fixed random r, and
// returns y, ∂L/∂x and ∂L/∂w, with either gorgonia's Conv2d or Conv2D.
func runConv(t testing.TB, c convCase, x, w []float32, ours bool) (y, dx, dw []float32) {
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.n, c.cin, c.h, c.w), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(c.n, c.cin, c.h, c.w), tensor.WithBacking(append([]float32(nil), x...)))))
	wn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.cout, c.cin, c.k, c.k), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(c.cout, c.cin, c.k, c.k), tensor.WithBacking(append([]float32(nil), w...)))))
	var yn *G.Node
	var err error
	if ours {
		yn, err = Conv2D(xn, wn, c.stride, c.pad)
	} else {
		yn, err = G.Conv2d(xn, wn, tensor.Shape{c.k, c.k}, []int{c.pad, c.pad}, []int{c.stride, c.stride}, []int{1, 1})
	}
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	loss, err := gradcheck.WeightedSum(g, yn, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, xn, wn)
	if err != nil {
		t.Fatalf("%v: grad: %v", c, err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("%v: run: %v", c, err)
	}
	cp := func(n *G.Node) []float32 { return append([]float32(nil), n.Value().Data().([]float32)...) }
	return cp(yn), cp(grads[0]), cp(grads[1])
}

// closeTo reports the worst difference relative to the reference's scale.
func closeTo(got, want []float32) (float64, int) {
	if len(got) != len(want) {
		return math.Inf(1), -1
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	worst, at := 0.0, -1
	for i := range got {
		d := math.Abs(float64(got[i])-float64(want[i])) / math.Max(scale, 1e-6)
		if d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	return worst, at
}

// TestConv2DMatchesGorgonia compares Conv2D's output and both gradients
// with gorgonia's Conv2d, under several task splits: the default, tiny
// scratch blocks (row and channel splitting) and 1 to 3 workers.
func TestConv2DMatchesGorgonia(t *testing.T) {
	defer func(p, s, gp int) { runtime.GOMAXPROCS(p); convScratchFloats = s; gatherPixels = gp }(runtime.GOMAXPROCS(0), convScratchFloats, gatherPixels)
	for i, c := range convCases {
		x, w := c.values(uint64(i))
		wantY, wantDx, wantDw := runConv(t, c, x, w, false)
		for _, procs := range []int{1, 2, 3} {
			for _, scratch := range []int{1 << 18, 200, 1} {
				runtime.GOMAXPROCS(procs)
				convScratchFloats = scratch
				gatherPixels = gatherMaxPixels
				if scratch == 200 {
					gatherPixels = 0 // im2col copies rows
				}
				for _, product := range products(t) {
					product.use()
					y, dx, dw := runConv(t, c, x, w, true)
					matchesGorgonia(t, fmt.Sprintf("%v procs %d scratch %d %s", c, procs, scratch, product.name),
						[3][]float32{y, dx, dw}, [3][]float32{wantY, wantDx, wantDw})
				}
				UseProduct("")
			}
		}
	}
}

// matchesGorgonia fails the test where a convolution's output, input
// gradient or weight gradient (got, in that order) is further than 1e-5,
// relative to the largest value, from gorgonia's (want).
func matchesGorgonia(t *testing.T, label string, got, want [3][]float32) {
	t.Helper()
	for i, what := range []string{"y", "dx", "dw"} {
		if d, at := closeTo(got[i], want[i]); d > 1e-5 {
			t.Errorf("%s: %s differs by %.3g (relative to its largest value) at %d: %v, gorgonia %v",
				label, what, d, at, got[i][max(at, 0)], want[i][max(at, 0)])
		}
	}
}

// product is one of the build's matrix products, made current by use.
type product struct {
	name string
	use  func()
}

// products are the ways the convolution can run in this build and on this
// CPU: on reslab's kernels with each matrix product (OpenBLAS, or reslab's
// AVX-512 and AVX2 kernels, those the CPU has, and gonum's Sgemm, which CPUs
// without them use), and, in the dnnl build, on oneDNN.
func products(t *testing.T) []product {
	var out []product
	for _, name := range Products() {
		out = append(out, product{name + " product", func() {
			if err := UseConvolutions(reslabConvolutions); err != nil {
				t.Fatal(err)
			}
			if err := UseProduct(name); err != nil {
				t.Fatal(err)
			}
		}})
	}
	if convLibraryName != "" {
		out = append(out, product{convLibraryName + " convolutions", func() {
			if err := UseConvolutions(convLibraryName); err != nil {
				t.Fatal(err)
			}
		}})
	}
	t.Cleanup(func() { UseProduct(""); UseConvolutions("") })
	return out
}

func TestConv2DNoInputGradient(t *testing.T) {
	c := convCase{2, 3, 15, 15, 5, 7, 2, 3}
	x, w := c.values(7)
	_, _, wantDw := runConv(t, c, x, w, false)
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.n, c.cin, c.h, c.w), G.WithName("images"),
		G.WithValue(tensor.New(tensor.WithShape(c.n, c.cin, c.h, c.w), tensor.WithBacking(x))))
	wn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.cout, c.cin, c.k, c.k), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(c.cout, c.cin, c.k, c.k), tensor.WithBacking(w))))
	y, err := conv2d(xn, wn, c.stride, c.pad, false)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, wn)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if d, at := closeTo(grads[0].Value().Data().([]float32), wantDw); d > 1e-5 {
		t.Errorf("dw differs by %.3g at %d", d, at)
	}
	for _, n := range g.AllNodes() {
		if n.Op() != nil && n.Op().String() == "conv2d(k7,s2,p3)-grad-x" {
			t.Errorf("graph has an input gradient node %v", n)
		}
	}
}

// TestGradConv2D checks both gradients against finite differences.
func TestGradConv2D(t *testing.T) {
	for i, c := range []convCase{
		{2, 2, 5, 5, 3, 3, 1, 1},
		{1, 3, 7, 6, 2, 3, 2, 1},
		{2, 3, 4, 4, 2, 1, 1, 0},
		{2, 2, 5, 5, 3, 1, 2, 0},
		{1, 2, 9, 9, 2, 7, 2, 3},
	} {
		x, w := c.values(uint64(100 + i))
		xShape := tensor.Shape{c.n, c.cin, c.h, c.w}
		wShape := tensor.Shape{c.cout, c.cin, c.k, c.k}
		gradcheck.Check(t, c.String()+" dx", xShape, x, func(g *G.ExprGraph, xn *G.Node) (*G.Node, error) {
			wn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(wShape...), G.WithName("w"),
				G.WithValue(tensor.New(tensor.WithShape(wShape...), tensor.WithBacking(append([]float32(nil), w...)))))
			y, err := Conv2D(xn, wn, c.stride, c.pad)
			if err != nil {
				return nil, err
			}
			return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
		}, 2e-3)
		gradcheck.Check(t, c.String()+" dw", wShape, w, func(g *G.ExprGraph, wn *G.Node) (*G.Node, error) {
			xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(xShape...), G.WithName("x"),
				G.WithValue(tensor.New(tensor.WithShape(xShape...), tensor.WithBacking(append([]float32(nil), x...)))))
			y, err := Conv2D(xn, wn, c.stride, c.pad)
			if err != nil {
				return nil, err
			}
			return gradcheck.WeightedSum(g, y, rand.New(rand.NewPCG(3, 4)))
		}, 2e-3)
	}
}

// TestConv2DConcurrentGraphs runs two graphs at once (they share the scratch
// pool); run with -race.
func TestConv2DConcurrentGraphs(t *testing.T) {
	c := convCase{3, 6, 10, 10, 8, 3, 1, 1}
	x, w := c.values(5)
	wantY, wantDx, wantDw := runConv(t, c, x, w, false)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				y, dx, dw := runConv(t, c, x, w, true)
				for _, p := range [][2][]float32{{y, wantY}, {dx, wantDx}, {dw, wantDw}} {
					if d, _ := closeTo(p[0], p[1]); d > 1e-5 {
						t.Errorf("concurrent run differs by %.3g", d)
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestConv2DRejectsBadShapes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 3, 4, 4), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 4, 3, 3), G.WithName("w"))
	if _, err := Conv2D(x, w, 1, 1); err == nil {
		t.Error("channel mismatch accepted")
	}
	w2 := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 3, 7, 7), G.WithName("w2"))
	if _, err := Conv2D(x, w2, 1, 0); err == nil {
		t.Error("kernel larger than the padded input accepted")
	}
	if _, err := Conv2D(x, w2, 0, 3); err == nil {
		t.Error("stride 0 accepted")
	}
	// (4+0−7)/2+1 is 1 in truncating division: a stride must not make a
	// kernel wider than its padded input fit.
	if _, err := Conv2D(x, w2, 2, 1); err == nil {
		t.Error("a 7×7 kernel over a 6×6 padded input accepted with stride 2")
	}
}

// convLayerCases are the distinct convolutions of ResNet-18 and the 1×1
// ones of ResNet-50 at 224 px, batch 8.
var convLayerCases = []struct {
	name string
	c    convCase
}{
	{"stem", convCase{8, 3, 224, 224, 64, 7, 2, 3}},
	{"r18.layer1", convCase{8, 64, 56, 56, 64, 3, 1, 1}},
	{"r18.layer2.0", convCase{8, 64, 56, 56, 128, 3, 2, 1}},
	{"r18.layer2", convCase{8, 128, 28, 28, 128, 3, 1, 1}},
	{"r18.layer2.down", convCase{8, 64, 56, 56, 128, 1, 2, 0}},
	{"r18.layer3", convCase{8, 256, 14, 14, 256, 3, 1, 1}},
	{"r18.layer4.0", convCase{8, 256, 14, 14, 512, 3, 2, 1}},
	{"r18.layer4", convCase{8, 512, 7, 7, 512, 3, 1, 1}},
	{"r50.layer1.1x1in", convCase{8, 256, 56, 56, 64, 1, 1, 0}},
	{"r50.layer1.1x1out", convCase{8, 64, 56, 56, 256, 1, 1, 0}},
	{"r50.layer4.1x1in", convCase{8, 2048, 7, 7, 512, 1, 1, 0}},
	{"r50.layer4.1x1out", convCase{8, 512, 7, 7, 2048, 1, 1, 0}},
}

// BenchmarkConvLayers times one forward and both backward kernels of each
// layer shape and reports GFLOP/s (3 products of 2·N·O·C·K²·Ho·Wo flops).
// RESLAB_CONV_SCRATCH (floats of im2col per task) and RESLAB_CONV_MINCOLS
// (fewest columns per task) override the block sizes; -test.cpu sets the
// workers (see conv.go).
func BenchmarkConvLayers(b *testing.B) {
	if v, err := strconv.Atoi(os.Getenv("RESLAB_CONV_SCRATCH")); err == nil {
		defer func(s int) { convScratchFloats = s }(convScratchFloats)
		convScratchFloats = v
	}
	if v, err := strconv.Atoi(os.Getenv("RESLAB_CONV_MINCOLS")); err == nil {
		defer func(s int) { minTaskCols = s }(minTaskCols)
		minTaskCols = v
	}
	benchConvLayers(b, 3, func(g *convGeom, x, w, y []float32) func() {
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		return func() {
			g.forward(x, w, y)
			clear(dx)
			g.backwardData(w, y, dx)
			clear(dw)
			g.backwardWeights(x, y, dw)
		}
	})
}

// benchConvLayers times, on every layer shape, the step that setup returns
// (setup allocates outside the timing) and reports GFLOP/s for `products`
// matrix products of 2·N·O·C·K²·Ho·Wo flops each.
func benchConvLayers(b *testing.B, products int, setup func(g *convGeom, x, w, y []float32) func()) {
	for _, lc := range convLayerCases {
		b.Run(lc.name, func(b *testing.B) {
			c := lc.c
			g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
			x, w := c.values(1)
			step := setup(g, x, w, make([]float32, c.n*c.cout*g.p))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			flops := float64(products) * 2 * float64(c.n*c.cout*g.ckk*g.p)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemm times each matrix product of the build on square
// products, one per worker at once.
func BenchmarkSgemm(b *testing.B) {
	defer UseProduct("")
	for _, product := range Products() {
		for _, n := range []int{256, 1024} {
			for _, workers := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%d/workers%d", product, n, workers), func(b *testing.B) {
					if err := UseProduct(product); err != nil {
						b.Fatal(err)
					}
					rng := rand.New(rand.NewPCG(1, 2))
					a, bb := gradcheck.RandomValues(n*n, rng), gradcheck.RandomValues(n*n, rng)
					cs := make([][]float32, workers)
					for i := range cs {
						cs[i] = make([]float32, n*n)
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						runTasks(workers, workers, func(_, t int) {
							sgemm(false, false, n, n, n, 1, a, n, bb, n, 0, cs[t], n)
						})
					}
					b.ReportMetric(2*float64(n*n*n*workers)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkConvForwardLayers times the forward kernel alone (inference) on
// the same shapes and reports GFLOP/s (2·N·O·C·K²·Ho·Wo flops).
func BenchmarkConvForwardLayers(b *testing.B) {
	benchConvLayers(b, 1, func(g *convGeom, x, w, y []float32) func() {
		return func() { g.forward(x, w, y) }
	})
}

// BenchmarkConvPasses times each of a layer's three kernels on its own
// (forward, input gradient, weight gradient), to show which pass of
// which shape falls short of the product's peak.
func BenchmarkConvPasses(b *testing.B) {
	passes := []struct {
		name string
		run  func(g *convGeom, x, w, y, dx, dw []float32)
	}{
		{"forward", func(g *convGeom, x, w, y, _, _ []float32) { g.forward(x, w, y) }},
		{"data", func(g *convGeom, _, w, y, dx, _ []float32) { g.backwardData(w, y, dx) }},
		{"weights", func(g *convGeom, x, _, y, _, dw []float32) { g.backwardWeights(x, y, dw) }},
	}
	for _, p := range passes {
		b.Run(p.name, func(b *testing.B) {
			benchConvLayers(b, 1, func(g *convGeom, x, w, y []float32) func() {
				dx, dw := make([]float32, len(x)), make([]float32, len(w))
				return func() { p.run(g, x, w, y, dx, dw) }
			})
		})
	}
}

// The forward pass from a zero-padded input (forwardPadded, where the
// AVX-512 or AVX2 kernel reads B at offsets) adds exactly what the im2col path adds:
// output and both gradients (the input gradient is a forward convolution
// too) are the same bits with it on and off, for 3×3 and 5×5 convolutions
// as wide as their input, whole images, row-split ones and several small
// images per task.
func TestPaddedInputForwardIsIm2colBitForBit(t *testing.T) {
	for _, kernel := range []string{"avx512", "avx2"} {
		t.Run(kernel, func(t *testing.T) {
			if err := UseProduct(kernel); err != nil {
				t.Skipf("no %s kernel on this CPU: %v", kernel, err)
			}
			defer UseProduct("")
			paddedInputIsIm2col(t)
		})
	}
}

func paddedInputIsIm2col(t *testing.T) {
	defer func(s int, on, wino bool) { convScratchFloats = s; paddedInputConvs = on; winogradConvs = wino }(convScratchFloats, paddedInputConvs, winogradConvs)
	winogradConvs = false                           // it would take some of these convolutions
	narrow := newConvGeom(6, 8, 14, 14, 8, 3, 1, 1) // 14×14 planes: im2col is as fast there
	var packed []float32
	if narrow.readsPaddedInput(shareOperand(false, 8, narrow.ckk, make([]float32, 8*narrow.ckk), narrow.ckk, 2, 600, &packed)) {
		t.Error("14×14 planes take the padded path")
	}
	putScratch(&packed)
	for i, c := range []convCase{
		{2, 4, 24, 24, 4, 3, 1, 1},
		{2, 16, 15, 16, 8, 3, 1, 1},
		{3, 8, 20, 33, 16, 5, 1, 2},
		{2, 64, 56, 56, 64, 3, 1, 1},
		{6, 8, 17, 16, 8, 3, 1, 1},   // small images, several per task
		{8, 16, 16, 16, 32, 3, 1, 1}, // several per task
	} {
		for _, scratch := range []int{1 << 20, 2000} {
			convScratchFloats = scratch
			g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
			tasks, _, _ := g.plan()
			var packed []float32
			wA := shareOperand(false, g.cout, g.ckk, make([]float32, g.cout*g.ckk), g.ckk, len(tasks), tasks[0].cols, &packed)
			if !g.readsPaddedInput(wA) {
				t.Fatalf("%v scratch %d: the padded path is not taken (%d tasks)", c, scratch, len(tasks))
			}
			putScratch(&packed)
			x, w := c.values(uint64(i))
			paddedInputConvs = false
			wantY, wantDx, wantDw := runConv(t, c, x, w, true)
			paddedInputConvs = true
			y, dx, dw := runConv(t, c, x, w, true)
			for _, cmp := range []struct {
				what      string
				got, want []float32
			}{{"y", y, wantY}, {"dx", dx, wantDx}, {"dw", dw, wantDw}} {
				for j := range cmp.want {
					if math.Float32bits(cmp.got[j]) != math.Float32bits(cmp.want[j]) {
						t.Fatalf("%v scratch %d: %s[%d] = %v from the padded input, %v from im2col", c, scratch, cmp.what, j, cmp.got[j], cmp.want[j])
					}
				}
			}
		}
	}
}

// namedConv is a layer shape of the path benchmarks.
type namedConv struct {
	name string
	c    convCase
}

// benchPaths times run on each layer with the switch *on false, then true
// (the sub-benchmarks named names[0] and names[1]), in GFLOP/s of one
// product of 2·N·O·C·K²·Ho·Wo flops.
func benchPaths(b *testing.B, on *bool, names [2]string, layers []namedConv, run func(g *convGeom, x, w, y []float32)) {
	defer func(was bool) { *on = was }(*on)
	for _, lc := range layers {
		for i, name := range names {
			b.Run(lc.name+"/"+name, func(b *testing.B) {
				*on = i == 1
				c := lc.c
				g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
				x, w := c.values(1)
				y := make([]float32, c.n*c.cout*g.p)
				b.ResetTimer()
				for range b.N {
					run(g, x, w, y)
				}
				b.ReportMetric(2*float64(c.n*c.cout*g.ckk*g.p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkConvForwardPaths times the forward pass of stride-1 3×3 layers
// (a 224 px ResNet-18's at batch 8, flowers-scratch's width-32 ResNet-18 at
// 128 px and batch 32) through im2col and from the padded input.
// RESLAB_GEMM=avx2 times them on the AVX2 kernel.
func BenchmarkConvForwardPaths(b *testing.B) {
	if err := UseProduct(os.Getenv("RESLAB_GEMM")); err != nil {
		b.Fatal(err)
	}
	defer UseProduct("")
	benchPaths(b, &paddedInputConvs, [2]string{"im2col", "padded"}, []namedConv{
		{"r18.layer1", convCase{8, 64, 56, 56, 64, 3, 1, 1}},
		{"r18.layer2", convCase{8, 128, 28, 28, 128, 3, 1, 1}},
		{"r18.layer3", convCase{8, 256, 14, 14, 256, 3, 1, 1}},
		{"r18.layer4", convCase{8, 512, 7, 7, 512, 3, 1, 1}},
		{"w32.layer1", convCase{32, 32, 32, 32, 32, 3, 1, 1}},
		{"w32.layer2", convCase{32, 64, 16, 16, 64, 3, 1, 1}},
		{"w32.layer3", convCase{32, 128, 8, 8, 128, 3, 1, 1}},
	}, func(g *convGeom, x, w, y []float32) { g.forward(x, w, y) })
}

// The weight gradient computed transposed (∂Wᵀ = col·∂yᵀ, for few output
// channels, where the AVX-512 kernel reads A in place) is the same bits as
// ∂W = ∂y·colᵀ, with one and several tasks per worker.
func TestTransposedWeightGradientIsTheSameBits(t *testing.T) {
	defer func(on bool, s int) { transposedWeightGradients = on; convScratchFloats = s }(transposedWeightGradients, convScratchFloats)
	for _, kernel := range []string{"avx512", "avx2"} {
		if err := UseProduct(kernel); err != nil {
			t.Logf("skipping the %s kernel: %v", kernel, err)
			continue
		}
		for i, c := range []convCase{
			{2, 4, 24, 24, 4, 3, 1, 1},
			{3, 8, 20, 33, 16, 5, 1, 2},
			{2, 16, 14, 14, 64, 3, 2, 1},
			{6, 8, 7, 7, 8, 3, 1, 1},
			{4, 32, 32, 32, 32, 3, 1, 1},
		} {
			for _, scratch := range []int{1 << 20, 2000} {
				convScratchFloats = scratch
				g := newConvGeom(c.n, c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad)
				if mk := activeKernel.Load(); !mk.ReadsAInPlace(false, g.cout) {
					if kernel == "avx512" {
						t.Fatalf("%v: %d output channels are not few enough for the transposed gradient", c, g.cout)
					}
					continue // the AVX2 kernel reads no A in place: the gradient stays as it was
				}
				x, w := c.values(uint64(i))
				transposedWeightGradients = false
				_, _, want := runConv(t, c, x, w, true)
				transposedWeightGradients = true
				_, _, got := runConv(t, c, x, w, true)
				for j := range want {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("%s %v scratch %d: dw[%d] = %v transposed, %v not", kernel, c, scratch, j, got[j], want[j])
					}
				}
			}
		}
	}
	UseProduct("")
}

// BenchmarkWeightGradientPaths times the weight gradient of layers with
// few output channels as ∂y·colᵀ and transposed.
func BenchmarkWeightGradientPaths(b *testing.B) {
	benchPaths(b, &transposedWeightGradients, [2]string{"dy-colT", "transposed"}, []namedConv{
		{"r18.layer1", convCase{8, 64, 56, 56, 64, 3, 1, 1}},
		{"w32.layer1", convCase{32, 32, 32, 32, 32, 3, 1, 1}},
		{"w32.layer2", convCase{32, 64, 16, 16, 64, 3, 1, 1}},
		{"w32.layer2.0", convCase{32, 32, 32, 32, 64, 3, 2, 1}},
		{"r50.layer1.1x1in", convCase{8, 256, 56, 56, 64, 1, 1, 0}},
		{"stem", convCase{8, 3, 224, 224, 64, 7, 2, 3}},
	}, func(g *convGeom, x, w, dy []float32) { g.backwardWeights(x, dy, w) })
}
