// The machine-dependent half of FPU sections: wiping the FP/SIMD state.
//
// What a switch keeps of a thread's FP state is the business of the switch
// (md/context.h; the full account is docs/internals/fpu.md): the MXCSR and
// the x87 control word travel with the context, nothing else does.
#pragma once

namespace kt::md {

// fpu_wipe() zeroes every FP/SIMD data register of the calling host thread:
// the x87/MMX registers, xmm/ymm0-15, and zmm0-31 and k0-7 on AVX-512 hosts.
// It empties the x87 stack and loads the default control words (MXCSR
// 0x1f80, x87 0x037f).
void fpu_wipe();

// fpu_scrub() is fpu_wipe() that keeps the caller's control words: for a
// thread that goes on with its rounding mode, but leaves no values behind.
void fpu_scrub();

}  // namespace kt::md
