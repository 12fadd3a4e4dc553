// x86-64 FP/SIMD wiping. In user space the FPU is always enabled, so
// "entering" an FPU section costs nothing here; what the section promises is
// that no value computed inside survives its end.
//
// The wipe is one XRSTOR from an area whose header says every component is
// in its init state: the processor then zeroes the x87/MMX data registers
// (which fninit leaves as they were), xmm/ymm, and on AVX-512 hosts zmm0-31
// and k0-7, and loads the control words of the area. Without XSAVE (no
// x86-64 host of the last fifteen years) FXRSTOR of a zeroed image does the
// same for x87 and xmm0-15, which is all such a host has.
#include "md/fpu.h"

#include <cpuid.h>

#include <cstdint>
#include <cstring>

#include "base/assert.h"

namespace kt::md {
namespace {

// XSAVE components a wipe resets: x87 (0), SSE (1), AVX (2), and AVX-512's
// opmask (5), ZMM_Hi256 (6) and Hi16_ZMM (7). Not PKRU (9): its init state
// opens every protection key and would change what memory the process may
// touch. Not MPX (3, 4), which holds bounds, not data. Not AMX tiles (17,
// 18): they exist only after arch_prctl(ARCH_REQ_XCOMP_PERM), and a wipe
// must not fault in a process that never asked (XXX: a face that enables
// AMX must wipe its tiles itself).
constexpr uint64_t kWipeComponents = 0xe7;

constexpr uint32_t kDefaultMxcsr = 0x1f80;  // all exceptions masked, round to nearest
constexpr uint16_t kDefaultFcw = 0x037f;    // the same for x87, extended precision
constexpr size_t kLegacyAndHeader = 512 + 64;

// The area XRSTOR loads from: zero but for MXCSR, which XRSTOR loads from
// the legacy region whenever SSE or AVX is restored, even in init state.
// The header (XSTATE_BV, XCOMP_BV) is zero: standard form, all components
// in init state. FXRSTOR reads the legacy region too, so its FCW is set.
alignas(64) unsigned char zero_area[4096];

struct Method {
  uint64_t xsave_mask = 0;  // components to reset with XRSTOR; 0: use FXRSTOR
};

uint64_t xgetbv0() {
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return uint64_t(hi) << 32 | lo;
}

Method choose() {
  const uint32_t mxcsr = kDefaultMxcsr;
  const uint16_t fcw = kDefaultFcw;
  memcpy(zero_area + 24, &mxcsr, sizeof mxcsr);
  memcpy(zero_area, &fcw, sizeof fcw);
  Method m;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return m;
  const uint64_t mask = xgetbv0() & kWipeComponents;
  // The standard form puts component i at CPUID.(0DH, i).EBX; the area must
  // reach past the last one restored.
  size_t end = kLegacyAndHeader;
  for (unsigned i = 2; i < 64; i++) {
    if (!(mask & (uint64_t(1) << i))) continue;
    __cpuid_count(0xd, i, a, b, c, d);
    if (size_t(b) + a > end) end = size_t(b) + a;
  }
  if (end > sizeof zero_area) panic("fpu_wipe: XSAVE area of %zu bytes does not fit", end);
  m.xsave_mask = mask;
  return m;
}

const Method& method() {
  static const Method m = choose();
  return m;
}

}  // namespace

// Not inlined: its callers follow the SysV ABI, for which every vector and
// x87 register is caller-saved, so none of them keeps a value in a register
// across this call and the clobbers below only describe what happens.
[[gnu::noinline]] void fpu_wipe() {
  const uint64_t mask = method().xsave_mask;
  if (mask) {
    asm volatile("xrstor64 %0"
                 :
                 : "m"(zero_area), "a"(uint32_t(mask)), "d"(uint32_t(mask >> 32))
                 : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)",
                   "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                   "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  } else {
    asm volatile("fxrstor64 %0"
                 :
                 : "m"(zero_area)
                 : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)",
                   "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                   "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  }
}

void fpu_scrub() {
  uint32_t mxcsr;
  uint16_t fcw;
  asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(fcw));
  fpu_wipe();
  asm volatile("ldmxcsr %0\n\tfldcw %1" ::"m"(mxcsr), "m"(fcw));
}

}  // namespace kt::md
