#include "textflag.h"

// func evensAVX2(dst, src *float32, n int)
//
// dst[i] = src[2i] for i < n, n a multiple of 8, reading src[0, 2n): each
// pair of YMM loads is shuffled down to its even elements and put in order.
TEXT ·evensAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2 // a0 a2 a8 a10 | a4 a6 a12 a14
	VPERMPD $0xD8, Y2, Y2     // a0 a2 a4 a6 a8 a10 a12 a14
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

done:
	VZEROUPPER
	RET

// func addEvensAVX2(dst, src *float32, n int)
//
// dst[2i] += src[i] for i < n, n a multiple of 8, touching dst[0, 2n): src
// is interleaved with zeros and added to dst sixteen values at a time, so
// the odd values of dst only have zero added.
TEXT ·addEvensAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y7, Y7, Y7

addloop:
	TESTQ CX, CX
	JZ    adddone
	VMOVUPS    (SI), Y0
	VUNPCKLPS  Y7, Y0, Y1       // a0 0 a1 0 | a4 0 a5 0
	VUNPCKHPS  Y7, Y0, Y2       // a2 0 a3 0 | a6 0 a7 0
	VPERM2F128 $0x20, Y2, Y1, Y3 // a0 0 a1 0 a2 0 a3 0
	VPERM2F128 $0x31, Y2, Y1, Y4 // a4 0 … a7 0
	VADDPS     (DI), Y3, Y3
	VADDPS     32(DI), Y4, Y4
	VMOVUPS    Y3, (DI)
	VMOVUPS    Y4, 32(DI)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $8, CX
	JMP  addloop

adddone:
	VZEROUPPER
	RET
