// x86-64 FPU wiping. In user space the FPU is always enabled, so "entering"
// an FPU section costs nothing here; what the section promises is that no
// value computed inside survives its end.
#include "md/fpu.h"

#include <cstdint>

namespace kt::md {

__attribute__((target("avx"))) static void wipe_avx() {
  asm volatile("vzeroall" ::
                   : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                     "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static void wipe_sse() {
  asm volatile(
      "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
      "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
      "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm8, %%xmm8\n\t"
      "pxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
      "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\tpxor %%xmm14, %%xmm14\n\t"
      "pxor %%xmm15, %%xmm15" ::
          : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
            "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

void fpu_wipe() {
  if (__builtin_cpu_supports("avx"))
    wipe_avx();
  else
    wipe_sse();
  // fninit empties the x87 register stack and resets its control word.
  asm volatile("fninit" ::: "memory");
  const uint32_t mxcsr = 0x1f80;  // all exceptions masked, round to nearest
  asm volatile("ldmxcsr %0" ::"m"(mxcsr));
}

}  // namespace kt::md
