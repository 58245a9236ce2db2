package simd

import "fmt"

// WinogradSpan is how many tiles the Winograd row transforms compute for
// a row of tw: whole blocks of eight where the CPU has AVX2 (the tiles past
// tw are computed from whatever the rows hold there, and written), tw
// otherwise. Callers give the rows and matrices room for that many.
func WinogradSpan(tw int) int {
	if haveAVX2FMA {
		return (tw + 7) / 8 * 8
	}
	return tw
}

// WinogradInputRow is the input transform of Winograd's F(2×2, 3×3) for
// one row of tiles: from the four zero-padded input rows p0…p3 that the
// tiles read (2·span+2 floats each, span = WinogradSpan(tw); tile t reads
// columns 2t…2t+3), V_ξ of tile t = (Bᵀ·d·B)_ξ goes to v[ξ·stride + t] for
// ξ < 16 and t < span. Bᵀ's rows are d0−d2, d1+d2, d2−d1 and d1−d3,
// applied down the columns, then along the rows. Eight tiles a turn where
// the CPU has AVX2; the vector loop and the Go loop give the same bits.
func WinogradInputRow(p0, p1, p2, p3, v []float32, stride, tw int) {
	if tw <= 0 {
		return
	}
	span := WinogradSpan(tw)
	need := 2*span + 2
	if len(p0) < need || len(p1) < need || len(p2) < need || len(p3) < need || stride < span || len(v) < 15*stride+span {
		panic(fmt.Sprintf("simd: Winograd input rows of %d, %d, %d, %d and %d values for %d tiles %d apart",
			len(p0), len(p1), len(p2), len(p3), len(v), span, stride))
	}
	if haveAVX2FMA {
		winogradInputRowAVX2(&p0[0], &p1[0], &p2[0], &p3[0], &v[0], stride, span/8)
		return
	}
	winogradInputRowGo(p0, p1, p2, p3, v, stride, tw)
}

// winogradInputRowGo is WinogradInputRow's loop in Go, over tw tiles.
func winogradInputRowGo(p0, p1, p2, p3, v []float32, stride, tw int) {
	s1, s2, s3 := stride, 2*stride, 3*stride
	for tx := 0; tx < tw; tx++ {
		j := 2 * tx
		d0, d1, d2, d3 := p0[j:j+4:j+4], p1[j:j+4:j+4], p2[j:j+4:j+4], p3[j:j+4:j+4]
		// Bᵀ·d down the columns: d0−d2, d1+d2, d2−d1, d1−d3.
		a0, a1, a2, a3 := d0[0]-d2[0], d0[1]-d2[1], d0[2]-d2[2], d0[3]-d2[3]
		b0, b1, b2, b3 := d1[0]+d2[0], d1[1]+d2[1], d1[2]+d2[2], d1[3]+d2[3]
		c0, c1, c2, c3 := d2[0]-d1[0], d2[1]-d1[1], d2[2]-d1[2], d2[3]-d1[3]
		e0, e1, e2, e3 := d1[0]-d3[0], d1[1]-d3[1], d1[2]-d3[2], d1[3]-d3[3]
		// ·B along the rows, the same combinations.
		va := v[tx : tx+s3+1]
		va[0], va[s1], va[s2], va[s3] = a0-a2, a1+a2, a2-a1, a1-a3
		vb := v[tx+4*stride : tx+4*stride+s3+1]
		vb[0], vb[s1], vb[s2], vb[s3] = b0-b2, b1+b2, b2-b1, b1-b3
		vc := v[tx+8*stride : tx+8*stride+s3+1]
		vc[0], vc[s1], vc[s2], vc[s3] = c0-c2, c1+c2, c2-c1, c1-c3
		ve := v[tx+12*stride : tx+12*stride+s3+1]
		ve[0], ve[s1], ve[s2], ve[s3] = e0-e2, e1+e2, e2-e1, e1-e3
	}
}

// WinogradOutputRow is the output transform of F(2×2, 3×3) for one row of
// tiles: from M_ξ of tile t at m[ξ·stride + t], the tile's 2×2 outputs
// Aᵀ·M·A go to y0[2t], y0[2t+1] and y1[2t], y1[2t+1], for t < span =
// WinogradSpan(tw) (2·span floats each, m has room for span tiles). Aᵀ's
// rows are 0+1+2 and 1−2−3, applied down the columns, then along the rows.
// Eight tiles a turn where the CPU has AVX2, with the Go loop's bits.
func WinogradOutputRow(m []float32, stride, tw int, y0, y1 []float32) {
	if tw <= 0 {
		return
	}
	span := checkWinogradRows("output rows", y0, y1, m, stride, tw)
	if haveAVX2FMA {
		winogradOutputRowAVX2(&m[0], stride, &y0[0], &y1[0], span/8)
		return
	}
	winogradOutputRowGo(m, stride, tw, y0, y1)
}

// checkWinogradRows returns WinogradSpan(tw), and panics unless the two
// output rows y0 and y1 hold 2·span floats and m 16 matrices of span,
// stride apart: the vector loops do not check bounds.
func checkWinogradRows(what string, y0, y1, m []float32, stride, tw int) int {
	span := WinogradSpan(tw)
	if len(y0) < 2*span || len(y1) < 2*span || stride < span || len(m) < 15*stride+span {
		panic(fmt.Sprintf("simd: Winograd %s of %d and %d values with %d for %d tiles %d apart",
			what, len(y0), len(y1), len(m), span, stride))
	}
	return span
}

// winogradOutputRowGo is WinogradOutputRow's loop in Go, over tw tiles.
func winogradOutputRowGo(m []float32, stride, tw int, y0, y1 []float32) {
	for tx := 0; tx < tw; tx++ {
		var s, t [4]float32
		for j := 0; j < 4; j++ {
			m0, m1, m2, m3 := m[j*stride+tx], m[(4+j)*stride+tx], m[(8+j)*stride+tx], m[(12+j)*stride+tx]
			// Aᵀ·M down the columns: rows 0+1+2 and 1−2−3.
			s[j] = m0 + m1 + m2
			t[j] = m1 - m2 - m3
		}
		y0[2*tx], y0[2*tx+1] = s[0]+s[1]+s[2], s[1]-s[2]-s[3]
		y1[2*tx], y1[2*tx+1] = t[0]+t[1]+t[2], t[1]-t[2]-t[3]
	}
}

// WinogradWeightRows is the weight transform of F(2×2, 3×3), U = G·g·Gᵀ,
// for the n 3×3 kernels w[9i : 9i+9] (row-major), U_ξ of kernel i going to
// u[ξ·plane + i]. G's rows are g0, (g0+g1+g2)/2, (g0−g1+g2)/2 and g2. One
// loop over a layer's kernels: a function per kernel and its scattered
// stores cost a twentieth of a flowers-scratch step.
func WinogradWeightRows(w []float32, n int, u []float32, plane int) {
	if n <= 0 {
		return
	}
	if len(w) < 9*n || plane < n || len(u) < 15*plane+n {
		panic(fmt.Sprintf("simd: Winograd weights of %d kernels from %d values into %d, %d apart", n, len(w), len(u), plane))
	}
	w = w[:9*n]
	var rows [16][]float32
	for xi := range rows {
		rows[xi] = u[xi*plane : xi*plane+n]
	}
	for i := 0; i < n; i++ {
		k := w[9*i : 9*i+9 : 9*i+9]
		// G·g, column by column: g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2.
		a0, a1, a2 := k[0], k[1], k[2]
		d0, d1, d2 := k[6], k[7], k[8]
		b0, b1, b2 := 0.5*(k[0]+k[3]+k[6]), 0.5*(k[1]+k[4]+k[7]), 0.5*(k[2]+k[5]+k[8])
		c0, c1, c2 := 0.5*(k[0]-k[3]+k[6]), 0.5*(k[1]-k[4]+k[7]), 0.5*(k[2]-k[5]+k[8])
		// ·Gᵀ along each row: r0, (r0+r1+r2)/2, (r0−r1+r2)/2, r2.
		rows[0][i], rows[1][i], rows[2][i], rows[3][i] = a0, 0.5*(a0+a1+a2), 0.5*(a0-a1+a2), a2
		rows[4][i], rows[5][i], rows[6][i], rows[7][i] = b0, 0.5*(b0+b1+b2), 0.5*(b0-b1+b2), b2
		rows[8][i], rows[9][i], rows[10][i], rows[11][i] = c0, 0.5*(c0+c1+c2), 0.5*(c0-c1+c2), c2
		rows[12][i], rows[13][i], rows[14][i], rows[15][i] = d0, 0.5*(d0+d1+d2), 0.5*(d0-d1+d2), d2
	}
}

// WinogradWeights is WinogradWeightRows for one kernel g.
func WinogradWeights(g []float32) [16]float32 {
	var u [16]float32
	WinogradWeightRows(g, 1, u[:], 1)
	return u
}

// WinogradGradientRow is the output transform's adjoint for one row of
// tiles, for the weight gradient: from the output gradients of the two rows
// y0 and y1 a row of tiles covers (2·span floats each, span =
// WinogradSpan(tw)), ∂M = A·∂Y·Aᵀ of tile t goes to m[ξ·stride + t] for t <
// span. A's columns are (1, 1, 1, 0) and (0, 1, −1, −1): rows of A·∂Y are
// ∂y0, ∂y0+∂y1, ∂y0−∂y1 and −∂y1, and each row (p, q) becomes p, p+q, p−q,
// −q. Eight tiles a turn where the CPU has AVX2, with the Go loop's bits.
func WinogradGradientRow(y0, y1, m []float32, stride, tw int) {
	if tw <= 0 {
		return
	}
	span := checkWinogradRows("gradient rows", y0, y1, m, stride, tw)
	if haveAVX2FMA {
		winogradGradientRowAVX2(&y0[0], &y1[0], &m[0], stride, span/8)
		return
	}
	winogradGradientRowGo(y0, y1, m, stride, tw)
}

// winogradGradientRowGo is WinogradGradientRow's loop in Go, over tw tiles.
func winogradGradientRowGo(y0, y1, m []float32, stride, tw int) {
	s1, s2, s3 := stride, 2*stride, 3*stride
	for tx := 0; tx < tw; tx++ {
		p0, q0, p1, q1 := y0[2*tx], y0[2*tx+1], y1[2*tx], y1[2*tx+1]
		for i, r := range [4][2]float32{{p0, q0}, {p0 + p1, q0 + q1}, {p0 - p1, q0 - q1}, {-p1, -q1}} {
			row := m[4*i*stride+tx : 4*i*stride+tx+s3+1]
			p, q := r[0], r[1]
			row[0], row[s1], row[s2], row[s3] = p, p+q, p-q, -q
		}
	}
}

// WinogradWeightGradient is the weight transform's adjoint: the gradient
// of a 3×3 kernel g from that of U = G·g·Gᵀ, Gᵀ·∂U·G, into dg (row-major).
func WinogradWeightGradient(du *[16]float32, dg []float32) {
	dg = dg[:9]
	// Gᵀ·∂U: rows ∂u0 + (∂u1+∂u2)/2, (∂u1−∂u2)/2, (∂u1+∂u2)/2 + ∂u3.
	var r [3][4]float32
	for j := 0; j < 4; j++ {
		u0, u1, u2, u3 := du[j], du[4+j], du[8+j], du[12+j]
		h := 0.5 * (u1 + u2)
		r[0][j] = u0 + h
		r[1][j] = 0.5 * (u1 - u2)
		r[2][j] = h + u3
	}
	for i := 0; i < 3; i++ {
		a, b, c, d := r[i][0], r[i][1], r[i][2], r[i][3]
		h := 0.5 * (b + c)
		dg[3*i], dg[3*i+1], dg[3*i+2] = a+h, 0.5*(b-c), h+d
	}
}
