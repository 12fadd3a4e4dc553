// The machine-dependent half of FPU sections: wiping the FP/SIMD state.
#pragma once

namespace kt::md {

// fpu_wipe() zeroes every vector register (ymm0-15, or xmm0-15 without AVX),
// empties the x87 stack and restores the default x87 control word and MXCSR.
void fpu_wipe();

}  // namespace kt::md
