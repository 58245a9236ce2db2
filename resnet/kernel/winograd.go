package kernel

import (
	"runtime"

	"github.com/reslab/reslab/resnet/kernel/simd"
)

// Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2015): each 2×2 block of a
// 3×3, stride-1 convolution's output is computed from the 4×4 block of input
// around it as Aᵀ[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]A, with 16 multiplications per
// channel pair instead of 36. Summed over the input channels, the 16
// element-wise products become 16 matrix products, U_ξ (cout×cin, the
// transformed weights) by V_ξ (cin×tiles, the transformed input), 2.25
// times fewer flops than im2col's product; the transforms themselves are
// additions (and halvings of the weights), linear in the channels.

// winogradConvs lets 3×3 convolutions run by F(2×2, 3×3) where
// usesWinograd says it pays; tests turn it off to compare the other paths
// bit for bit, and to compare it with them.
var winogradConvs = true

// usesWinograd says whether this convolution's forward pass (and so its
// input gradient, a forward convolution too) runs by F(2×2, 3×3): 3×3,
// stride 1, padding 1, on planes whose 2×2 tiles compute at most a third
// more outputs than there are (7×7 planes: 64 for 49), and with at least
// 128 tiles, which pay for transforming the weights, 16·cin·cout floats
// per pass. BenchmarkConvForwardWinograd, AVX-512 on a Zen 4: 8×8 planes
// of 128 channels at batch 8, 128 tiles, 1.19 → 1.07 ms; 7×7 planes of
// 512 channels at batch 8 12.8–14.0 → 9.2–9.5 ms (three runs); 4×4 planes
// of 256 channels at batch 8, 32 tiles, 0.83–1.01 → 1.37–1.56 ms.
func (g *convGeom) usesWinograd() bool { return g.winogradFits(4, 3) }

// winogradWeightGradient says whether the weight gradient runs by
// F(2×2, 3×3): as usesWinograd, but only where the tiles compute at most
// an eighth more outputs than there are (BenchmarkWeightGradientWinograd:
// 7×7 planes of 512 channels 12.1–13.0 ms by im2col, 12.1–14.8 ms by
// F(2×2, 3×3); 8×8 planes of 128 channels at batch 8 1.35 → 0.95 ms).
func (g *convGeom) winogradWeightGradient() bool { return g.winogradFits(9, 8) }

// winogradFits says whether F(2×2, 3×3) applies to this convolution, with
// its tiles computing at most num/den times the outputs there are, and
// whether it has the 128 tiles that pay for it.
func (g *convGeom) winogradFits(num, den int) bool {
	if !winogradConvs || g.k != 3 || g.stride != 1 || g.pad != 1 || g.ho != g.h || g.wo != g.w {
		return false
	}
	th, tw := g.winogradTiles()
	if den*4*th*tw > num*g.ho*g.wo {
		return false
	}
	return g.n*th*tw >= 128
}

// winogradTiles is the output's 2×2 tiles down and across a plane, the
// last ones half outside an odd height or width.
func (g *convGeom) winogradTiles() (th, tw int) { return (g.ho + 1) / 2, (g.wo + 1) / 2 }

// winogradTileTarget is how many 2×2 output tiles a task transforms and
// multiplies at once: enough columns for the kernel's panels (32 wide on
// AVX-512), few enough that the transformed input, 16·cin floats per tile,
// stays in the L2 cache.
const winogradTileTarget = 96

// winogradTask is a block of tiles: tile rows [ty0, ty1) of images
// [n0, n1) (a whole image's rows when the task holds several).
type winogradTask struct{ n0, n1, ty0, ty1 int }

// tiles is how many tiles task t holds, in rows of tw.
func (t winogradTask) tiles(tw int) int { return (t.n1 - t.n0) * (t.ty1 - t.ty0) * tw }

// winogradScratch is a worker's buffers for its tasks: the transformed
// input V, the products M and the transforms' padded rows.
type winogradScratch struct{ v, m, rows []float32 }

func (s *winogradScratch) release() {
	putScratch(&s.v)
	putScratch(&s.m)
	putScratch(&s.rows)
}

// winogradBlock is one task's transformed input v and room for its
// products m: 16 matrices each, vs and ms floats apart, of tiles columns.
type winogradBlock struct {
	v, m          []float32
	tiles, vs, ms int
}

// input transforms task t's input x into a block of s's buffers.
func (s *winogradScratch) input(g *convGeom, x []float32, t winogradTask) winogradBlock {
	_, tw := g.winogradTiles()
	b := winogradBlock{tiles: t.tiles(tw)}
	b.vs, b.ms = winogradStride(g.cin*b.tiles), winogradStride(g.cout*b.tiles)
	b.v, b.m = scratchBuf(&s.v, 16*b.vs), scratchBuf(&s.m, 16*b.ms)
	g.winogradInput(x, t, b.tiles, b.v, b.vs, &s.rows)
	return b
}

// winogradPlan splits the output's tiles into tasks of about
// winogradTileTarget tiles: rows of one image, or several whole images
// when an image has fewer tiles.
func (g *convGeom) winogradPlan(workers int) []winogradTask {
	th, tw := g.winogradTiles()
	perImage := th * tw
	target := winogradTileTarget
	if total := g.n * perImage; total < target*workers*2 {
		target = max(32, ceilDiv(total, workers*2))
	}
	var tasks []winogradTask
	if perImage >= target {
		rows := max(1, ceilDiv(target, tw))
		for n := 0; n < g.n; n++ {
			for ty := 0; ty < th; ty += rows {
				tasks = append(tasks, winogradTask{n, n + 1, ty, min(th, ty+rows)})
			}
		}
		return tasks
	}
	imgs := max(1, target/perImage)
	for n := 0; n < g.n; n += imgs {
		tasks = append(tasks, winogradTask{n, min(g.n, n+imgs), 0, th})
	}
	return tasks
}

// winogradWeights writes U_ξ = (G·g·Gᵀ)_ξ for every (o, c) into u, laid out
// as 16 matrices cout×cin, winogradStride(cout·cin) apart.
func (g *convGeom) winogradWeights(w, u []float32) {
	cin, cout := g.cin, g.cout
	plane := winogradStride(cout * cin)
	ParallelFor(cout, max(ElementGrain/(cin*16), 1), func(lo, hi int) {
		simd.WinogradWeightRows(w[lo*cin*9:hi*cin*9], (hi-lo)*cin, u[lo*cin:], plane)
	})
}

// winogradForward is forwardWith for a 3×3, stride-1, padding-1
// convolution by F(2×2, 3×3).
func (g *convGeom) winogradForward(mk *simd.Kernel, x, w, y []float32, epi *convEpilogue) {
	workers := runtime.GOMAXPROCS(0)
	cin, cout := g.cin, g.cout
	var uScratch, packedScratch []float32
	defer putScratch(&uScratch)
	defer putScratch(&packedScratch)
	plane := winogradStride(cout * cin)
	u := scratchBuf(&uScratch, 16*plane)
	g.winogradWeights(w, u)
	psize := mk.PackedSize(cout, cin)
	packed := scratchBuf(&packedScratch, 16*psize)
	var us [16]simd.PackedA
	runTasks(16, workers, func(_, xi int) {
		us[xi] = mk.PackA(false, cout, cin, 1, u[xi*plane:xi*plane+cout*cin], cin, packed[xi*psize:(xi+1)*psize], simd.Serially)
	})
	tasks := g.winogradPlan(workers)
	outSize := cout * g.p
	runTasks(len(tasks), workers, func(_, i int) {
		t := tasks[i]
		var s winogradScratch
		defer s.release()
		b := s.input(g, x, t)
		for xi := 0; xi < 16; xi++ {
			us[xi].Sgemm(false, b.tiles, b.v[xi*b.vs:xi*b.vs+cin*b.tiles], b.tiles, 0, b.m[xi*b.ms:xi*b.ms+cout*b.tiles], b.tiles)
		}
		g.winogradOutput(b.m, t, b.tiles, y, b.ms, &s.rows)
		if epi != nil {
			for n := t.n0; n < t.n1; n++ {
				oh0, oh1 := 2*t.ty0, min(g.ho, 2*t.ty1)
				at := n*outSize + oh0*g.wo
				epi.apply(g, y, y[at:], g.p, n, oh0*g.wo, (oh1-oh0)*g.wo)
			}
		}
	})
}

// winogradStride is how far apart the 16 matrices of a task's transformed
// input (or product) lie for n floats each: n rounded up to a cache line,
// plus one (room for the tiles past the last row's end that the row
// transforms compute, simd.WinogradSpan), so that the 16 streams a transform writes (or reads) at once do
// not fall into the same sets of the L1 cache, as they do when n·4 bytes is
// a multiple of 4 KiB (cin 64 and 112 tiles: 28 KiB).
func winogradStride(n int) int { return roundUp(n, 16) + 16 }

// winogradInput writes V_ξ = (Bᵀ·d·B)_ξ of every channel and tile of task
// t into v, laid out as 16 matrices cin×tiles (tiles in the task's order:
// image, tile row, tile column). Each channel's input rows are first
// copied into zero-padded rows (one zero on the left, the padding and the
// odd column on the right), so every tile reads four whole rows.
func (g *convGeom) winogradInput(x []float32, t winogradTask, tiles int, v []float32, stride int, padScratch *[]float32) {
	_, tw := g.winogradTiles()
	pw := 2*simd.WinogradSpan(tw) + 2
	rows := 2*(t.ty1-t.ty0) + 2
	pad := scratchBuf(padScratch, rows*pw)
	for c := 0; c < g.cin; c++ {
		tt := c * tiles
		for n := t.n0; n < t.n1; n++ {
			xc := x[(n*g.cin+c)*g.hw : (n*g.cin+c+1)*g.hw]
			for r := 0; r < rows; r++ {
				row := pad[r*pw : (r+1)*pw]
				ih := 2*t.ty0 - 1 + r
				if ih < 0 || ih >= g.h {
					clear(row)
					continue
				}
				row[0] = 0
				copy(row[1:], xc[ih*g.w:(ih+1)*g.w])
				clear(row[1+g.w:])
			}
			for ty := t.ty0; ty < t.ty1; ty++ {
				r := 2 * (ty - t.ty0)
				simd.WinogradInputRow(pad[r*pw:(r+1)*pw], pad[(r+1)*pw:(r+2)*pw], pad[(r+2)*pw:(r+3)*pw], pad[(r+3)*pw:(r+4)*pw], v[tt:], stride, tw)
				tt += tw
			}
		}
	}
}

// winogradOutput writes Y = Aᵀ·M·A of every output channel and tile of task
// t into y, from M_ξ laid out as 16 matrices cout×tiles.
func (g *convGeom) winogradOutput(m []float32, t winogradTask, tiles int, y []float32, stride int, rowScratch *[]float32) {
	_, tw := g.winogradTiles()
	span := simd.WinogradSpan(tw)
	// Rows the transform cannot write in place (an odd width, or tiles it
	// computes past the row's end) go to spare rows, then to y.
	inPlace := 2*span == g.wo
	spare := scratchBuf(rowScratch, 4*span)
	for o := 0; o < g.cout; o++ {
		tt := o * tiles
		for n := t.n0; n < t.n1; n++ {
			yo := y[(n*g.cout+o)*g.p : (n*g.cout+o+1)*g.p]
			for ty := t.ty0; ty < t.ty1; ty++ {
				src := m[tt:]
				tt += tw
				oh := 2 * ty
				y0, y1 := spare[:2*span], spare[2*span:]
				if inPlace {
					y0 = yo[oh*g.wo : (oh+1)*g.wo]
					if oh+1 < g.ho {
						y1 = yo[(oh+1)*g.wo : (oh+2)*g.wo]
					}
				}
				simd.WinogradOutputRow(src, stride, tw, y0, y1)
				if !inPlace {
					copy(yo[oh*g.wo:(oh+1)*g.wo], y0)
					if oh+1 < g.ho {
						copy(yo[(oh+1)*g.wo:(oh+2)*g.wo], y1)
					}
				}
			}
		}
	}
}

// winogradBackwardWeights is backwardWeights by F(2×2, 3×3): with M =
// Σ_c U_c ⊙ V_c and Y = Aᵀ·M·A per tile, ∂M = A·∂Y·Aᵀ, ∂U_ξ = Σ_tiles
// ∂M_ξ·V_ξᵀ (16 products cout×tiles by tiles×cin) and ∂g = Gᵀ·∂U·G. As in
// backwardWeights, the tasks are dealt out in fixed contiguous slices, one
// per worker, each summed into its own ∂U, and those are added in order,
// so the result does not depend on goroutine timing.
func (g *convGeom) winogradBackwardWeights(mk *simd.Kernel, x, dy, dw []float32) {
	workers := runtime.GOMAXPROCS(0)
	cin, cout := g.cin, g.cout
	tasks := g.winogradPlan(workers)
	slots := min(workers, len(tasks))
	plane := winogradStride(cout * cin)
	acc := make([][]float32, slots)
	for i := range acc {
		acc[i] = getScratch(16 * plane)
	}
	runTasks(slots, slots, func(_, slot int) {
		var s winogradScratch
		defer s.release()
		lo, hi := slot*len(tasks)/slots, (slot+1)*len(tasks)/slots
		for i := lo; i < hi; i++ {
			t := tasks[i]
			b := s.input(g, x, t)
			g.winogradGradient(dy, t, b.tiles, b.m, b.ms, &s.rows)
			var beta float32
			if i > lo {
				beta = 1
			}
			for xi := 0; xi < 16; xi++ {
				sgemm(false, true, cout, cin, b.tiles, 1, b.m[xi*b.ms:xi*b.ms+cout*b.tiles], b.tiles, b.v[xi*b.vs:xi*b.vs+cin*b.tiles], b.tiles, beta, acc[slot][xi*plane:xi*plane+cout*cin], cin)
			}
		}
	})
	sum := acc[0]
	for i := 1; i < slots; i++ {
		part := acc[i]
		ParallelFor(len(sum), ElementGrain, func(lo, hi int) { simd.Axpy(1, part[lo:hi], sum[lo:hi]) })
		putScratch(&acc[i])
	}
	ParallelFor(cout, max(ElementGrain/(cin*16), 1), func(lo, hi int) {
		var du [16]float32
		for o := lo; o < hi; o++ {
			for c := 0; c < cin; c++ {
				at := o*cin + c
				for xi := range du {
					du[xi] = sum[xi*plane+at]
				}
				simd.WinogradWeightGradient(&du, dw[at*9:at*9+9])
			}
		}
	})
	putScratch(&acc[0])
}

// winogradGradient writes ∂M_ξ = (A·∂Y·Aᵀ)_ξ of every output channel and
// tile of task t into m, laid out as 16 matrices cout×tiles, stride apart.
// Rows and columns past the output's (odd sizes) read as zeros.
func (g *convGeom) winogradGradient(dy []float32, t winogradTask, tiles int, m []float32, stride int, rowScratch *[]float32) {
	_, tw := g.winogradTiles()
	span := simd.WinogradSpan(tw)
	spare := scratchBuf(rowScratch, 6*span)
	clear(spare)
	zeros, pad0, pad1 := spare[:2*span], spare[2*span:4*span], spare[4*span:]
	// Rows the transform cannot read in place (an odd width, or tiles it
	// computes past the row's end) are copied into rows that end in zeros
	// (clear left them there, and each copy writes the first wo).
	inPlace := 2*span == g.wo
	for o := 0; o < g.cout; o++ {
		tt := o * tiles
		for n := t.n0; n < t.n1; n++ {
			dyo := dy[(n*g.cout+o)*g.p : (n*g.cout+o+1)*g.p]
			for ty := t.ty0; ty < t.ty1; ty++ {
				oh := 2 * ty
				y0, y1 := dyo[oh*g.wo:(oh+1)*g.wo], zeros
				if oh+1 < g.ho {
					y1 = dyo[(oh+1)*g.wo : (oh+2)*g.wo]
				}
				if !inPlace {
					copy(pad0, y0)
					y0 = pad0
					if oh+1 < g.ho {
						copy(pad1, y1)
						y1 = pad1
					}
				}
				simd.WinogradGradientRow(y0, y1, m[tt:], stride, tw)
				tt += tw
			}
		}
	}
}

// UsesWinograd says whether reslab's convolution of this geometry (batch
// n, cin×h×w in, cout k×k kernels) runs by F(2×2, 3×3) under the product in
// use: for tests that a network, or a reference check, exercises it.
func UsesWinograd(n, cin, h, w, cout, k, stride, pad int) bool {
	return activeKernel.Load() != nil && newConvGeom(n, cin, h, w, cout, k, stride, pad).usesWinograd()
}
