// FPU sections and what a switch keeps of a thread's FP state
// (docs/internals/fpu.md): the MXCSR and the x87 control word are per
// thread, a thread's vector values survive a yield inside a section, and
// the last exit of a section leaves no value in any x87, MMX, xmm, ymm (and
// on AVX-512 hosts zmm and k) register.
#include "md/fpu.h"

#include <cpuid.h>
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

class Fpu : public WithKernel {};
KT_INSTANTIATE_NCPU(Fpu);

// --- control words ------------------------------------------------------------

constexpr unsigned kMxcsrRc = 0x6000;  // MXCSR rounding control

unsigned mxcsr_rc() { return _mm_getcsr() & kMxcsrRc; }
void set_mxcsr_rc(unsigned rc) { _mm_setcsr((_mm_getcsr() & ~kMxcsrRc) | rc); }

uint16_t fcw() {
  uint16_t w;
  asm volatile("fnstcw %0" : "=m"(w));
  return w;
}
void set_fcw(uint16_t w) { asm volatile("fldcw %0" ::"m"(w)); }

// round_robin() runs n threads that take turns (each waits, yielding, for
// its turn), rounds times each: between two turns of one thread the others
// all ran, on its host thread (cpu 0) or, unbound, wherever they were.
void round_robin(int n, int rounds, int cpu, const std::function<void(int)>& setup,
                 const std::function<bool(int)>& still_mine, std::atomic<int>* wrong) {
  std::atomic<int> turn{0};
  std::vector<Thread> ts;
  for (int i = 0; i < n; i++)
    ts.emplace_back(ThreadOptions{.name = "rr", .cpu = cpu}, [&, i] {
      setup(i);
      for (int r = 0; r < rounds; r++) {
        while (turn.load() % n != i) kt_thread_yield();
        if (!still_mine(i)) (*wrong)++;
        turn++;
      }
    });
  for (auto& t : ts) t.join();
}

TEST_P(Fpu, MxcsrRoundingModeIsPerThreadAcrossSwitches) {
  const unsigned modes[3] = {0x2000, 0x4000, 0x6000};  // down, up, toward zero
  const unsigned host_before = _mm_getcsr();
  for (int cpu : {0, -1}) {
    std::atomic<int> wrong{0};
    round_robin(
        3, 100, cpu, [&](int i) { set_mxcsr_rc(modes[i]); },
        [&](int i) { return mxcsr_rc() == modes[i]; }, &wrong);
    EXPECT_EQ(wrong.load(), 0) << "cpu " << cpu;
  }
  EXPECT_EQ(_mm_getcsr(), host_before) << "the host thread's own MXCSR is untouched";
}

TEST_P(Fpu, X87ControlWordIsPerThreadAcrossSwitches) {
  // Rounding (bits 10-11) and precision (8-9) differ per thread; 0x037f is
  // the default.
  const uint16_t words[3] = {0x077f, 0x0a7f, 0x0c7f};
  const uint16_t host_before = fcw();
  for (int cpu : {0, -1}) {
    std::atomic<int> wrong{0};
    round_robin(
        3, 100, cpu, [&](int i) { set_fcw(words[i]); }, [&](int i) { return fcw() == words[i]; },
        &wrong);
    EXPECT_EQ(wrong.load(), 0) << "cpu " << cpu;
  }
  EXPECT_EQ(fcw(), host_before);
}

// A thread starts with the control words of the context that created it,
// as a pthread inherits its creator's floating-point environment.
TEST_P(Fpu, NewThreadStartsWithItsCreatorsControlWords) {
  unsigned child_rc = 0;
  uint16_t child_fcw = 0;
  run_in_kthread([&] {
    set_mxcsr_rc(0x4000);
    set_fcw(0x0b7f);
    Thread child([&] {
      child_rc = mxcsr_rc();
      child_fcw = fcw();
    });
    set_mxcsr_rc(0);
    set_fcw(0x037f);
    child.join();
  });
  EXPECT_EQ(child_rc, 0x4000u);
  EXPECT_EQ(child_fcw, 0x0b7f);
}

// --- vector values inside a section ------------------------------------------

// clobber_vector_registers() fills xmm0-15 (ymm on AVX hosts) with garbage,
// as any code of another thread may.
__attribute__((target("avx"))) void clobber_ymm() {
  alignas(32) static const uint8_t junk[32] = {0xa5, 0xa5, 0xa5, 0xa5, 0x5a, 0x5a, 0x5a, 0x5a};
  asm volatile(
      "vmovdqa %0, %%ymm0\n\tvmovdqa %0, %%ymm1\n\tvmovdqa %0, %%ymm2\n\tvmovdqa %0, %%ymm3\n\t"
      "vmovdqa %0, %%ymm4\n\tvmovdqa %0, %%ymm5\n\tvmovdqa %0, %%ymm6\n\tvmovdqa %0, %%ymm7\n\t"
      "vmovdqa %0, %%ymm8\n\tvmovdqa %0, %%ymm9\n\tvmovdqa %0, %%ymm10\n\tvmovdqa %0, %%ymm11\n\t"
      "vmovdqa %0, %%ymm12\n\tvmovdqa %0, %%ymm13\n\tvmovdqa %0, %%ymm14\n\tvmovdqa %0, %%ymm15\n\t"
      "vzeroupper" ::"m"(junk)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}
void clobber_xmm() {
  alignas(16) static const uint8_t junk[16] = {0xa5, 0xa5, 0xa5, 0xa5, 0x5a, 0x5a, 0x5a, 0x5a};
  asm volatile(
      "movdqa %0, %%xmm0\n\tmovdqa %0, %%xmm1\n\tmovdqa %0, %%xmm2\n\tmovdqa %0, %%xmm3\n\t"
      "movdqa %0, %%xmm4\n\tmovdqa %0, %%xmm5\n\tmovdqa %0, %%xmm6\n\tmovdqa %0, %%xmm7\n\t"
      "movdqa %0, %%xmm8\n\tmovdqa %0, %%xmm9\n\tmovdqa %0, %%xmm10\n\tmovdqa %0, %%xmm11\n\t"
      "movdqa %0, %%xmm12\n\tmovdqa %0, %%xmm13\n\tmovdqa %0, %%xmm14\n\tmovdqa %0, %%xmm15" ::"m"(
          junk)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}
void clobber_vector_registers() {
  if (__builtin_cpu_supports("avx"))
    clobber_ymm();
  else
    clobber_xmm();
}

__attribute__((target("avx"))) bool ymm_value_survives_yield(std::atomic<int>* turn) {
  volatile int seed = 7;
  const __m256i v =
      _mm256_set_epi32(seed, seed + 1, seed + 2, seed + 3, seed + 4, seed + 5, seed + 6, seed + 7);
  *turn = 1;
  while (turn->load() != 2) kt_thread_yield();
  alignas(32) int32_t got[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(got), v);
  for (int k = 0; k < 8; k++)
    if (got[k] != 7 + 7 - k) return false;
  return true;
}

bool xmm_value_survives_yield(std::atomic<int>* turn) {
  volatile int seed = 11;
  const __m128i v = _mm_set_epi32(seed, seed + 1, seed + 2, seed + 3);
  *turn = 1;
  while (turn->load() != 2) kt_thread_yield();
  alignas(16) int32_t got[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(got), v);
  return got[0] == 14 && got[1] == 13 && got[2] == 12 && got[3] == 11;
}

// Vector registers are caller-saved: the compiler keeps a value it needs
// after kt_thread_yield() in the thread's own frame, so another thread that
// fills every register on the same host thread meanwhile cannot touch it.
TEST_P(Fpu, VectorValuesInASectionSurviveAYieldToAThreadThatClobbersThem) {
  const bool avx = __builtin_cpu_supports("avx");
  for (int round = 0; round < 2; round++) {
    std::atomic<int> turn{0};
    bool ok = false;
    Thread owner({.name = "owner", .cpu = 0}, [&] {
      FpuSection fpu;
      ok = avx && round == 0 ? ymm_value_survives_yield(&turn) : xmm_value_survives_yield(&turn);
    });
    Thread clobberer({.name = "clobberer", .cpu = 0}, [&] {
      while (turn.load() != 1) kt_thread_yield();
      clobber_vector_registers();
      turn = 2;
    });
    owner.join();
    clobberer.join();
    EXPECT_TRUE(ok) << (avx && round == 0 ? "ymm" : "xmm");
  }
}

// --- the wipe ---------------------------------------------------------------

// Its top bit is set, so as an x87 mantissa it is a normal number.
constexpr uint64_t kSecret = 0xdec2e75ec2e75ec2ull;

bool has_avx512() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_AVX512F)) return false;
  return __builtin_cpu_supports("avx512f");
}

// Everything a wipe must clear, as seen from the host thread.
struct FpState {
  alignas(16) uint8_t fx[512];  // FXSAVE: x87/MMX registers (32..159), xmm0-15 (160..415)
  alignas(32) uint8_t ymm_hi[16][16];
  alignas(64) uint8_t zmm_hi16[16][64];  // zmm16-31
  uint16_t k[8];
  bool avx = false, avx512 = false;

  // secrets() counts the registers still holding a secret value.
  int secrets() const {
    int n = 0;
    for (int r = 0; r < 8; r++) n += memmem(fx + 32 + 16 * r, 8, &kSecret, 8) != nullptr;
    for (int r = 0; r < 16; r++) n += memmem(fx + 160 + 16 * r, 16, &kSecret, 8) != nullptr;
    if (avx)
      for (auto& y : ymm_hi) n += memmem(y, 16, &kSecret, 8) != nullptr;
    if (avx512) {
      for (auto& z : zmm_hi16) n += memmem(z, 64, &kSecret, 8) != nullptr;
      for (uint16_t w : k) n += w == uint16_t(kSecret);
    }
    return n;
  }
  // zero() says every data register reads as zero (control words aside).
  bool zero() const {
    for (int i = 32; i < 416; i++)
      if (fx[i]) return false;
    if (avx)
      for (auto& y : ymm_hi)
        for (uint8_t b : y)
          if (b) return false;
    if (avx512) {
      for (auto& z : zmm_hi16)
        for (uint8_t b : z)
          if (b) return false;
      for (uint16_t w : k)
        if (w) return false;
    }
    return true;
  }
};

alignas(64) const uint64_t kSecretVec[8] = {kSecret, kSecret, kSecret, kSecret,
                                            kSecret, kSecret, kSecret, kSecret};

// The AVX and AVX-512 loads and stores are plain assembly: a compiler
// function that touches ymm would end in vzeroupper, clearing the very
// upper halves the test puts a secret in.
extern "C" void kt_test_load_ymm(const void* src);     // ymm0-15 = 32 bytes at src
extern "C" void kt_test_save_ymm_hi(void* dst);        // upper halves of ymm0-15
extern "C" void kt_test_load_avx512(const void* src);  // zmm16-31 = 64 bytes, k1-7 = 2 bytes
extern "C" void kt_test_save_avx512(void* zmm, void* k);
asm(R"(
  .pushsection .text
  .p2align 4
kt_test_load_ymm:
  vmovdqu (%rdi), %ymm0
  vmovdqu (%rdi), %ymm1
  vmovdqu (%rdi), %ymm2
  vmovdqu (%rdi), %ymm3
  vmovdqu (%rdi), %ymm4
  vmovdqu (%rdi), %ymm5
  vmovdqu (%rdi), %ymm6
  vmovdqu (%rdi), %ymm7
  vmovdqu (%rdi), %ymm8
  vmovdqu (%rdi), %ymm9
  vmovdqu (%rdi), %ymm10
  vmovdqu (%rdi), %ymm11
  vmovdqu (%rdi), %ymm12
  vmovdqu (%rdi), %ymm13
  vmovdqu (%rdi), %ymm14
  vmovdqu (%rdi), %ymm15
  ret
kt_test_save_ymm_hi:
  vextractf128 $1, %ymm0, 0(%rdi)
  vextractf128 $1, %ymm1, 16(%rdi)
  vextractf128 $1, %ymm2, 32(%rdi)
  vextractf128 $1, %ymm3, 48(%rdi)
  vextractf128 $1, %ymm4, 64(%rdi)
  vextractf128 $1, %ymm5, 80(%rdi)
  vextractf128 $1, %ymm6, 96(%rdi)
  vextractf128 $1, %ymm7, 112(%rdi)
  vextractf128 $1, %ymm8, 128(%rdi)
  vextractf128 $1, %ymm9, 144(%rdi)
  vextractf128 $1, %ymm10, 160(%rdi)
  vextractf128 $1, %ymm11, 176(%rdi)
  vextractf128 $1, %ymm12, 192(%rdi)
  vextractf128 $1, %ymm13, 208(%rdi)
  vextractf128 $1, %ymm14, 224(%rdi)
  vextractf128 $1, %ymm15, 240(%rdi)
  ret
kt_test_load_avx512:
  vmovdqu64 (%rdi), %zmm16
  vmovdqu64 (%rdi), %zmm17
  vmovdqu64 (%rdi), %zmm18
  vmovdqu64 (%rdi), %zmm19
  vmovdqu64 (%rdi), %zmm20
  vmovdqu64 (%rdi), %zmm21
  vmovdqu64 (%rdi), %zmm22
  vmovdqu64 (%rdi), %zmm23
  vmovdqu64 (%rdi), %zmm24
  vmovdqu64 (%rdi), %zmm25
  vmovdqu64 (%rdi), %zmm26
  vmovdqu64 (%rdi), %zmm27
  vmovdqu64 (%rdi), %zmm28
  vmovdqu64 (%rdi), %zmm29
  vmovdqu64 (%rdi), %zmm30
  vmovdqu64 (%rdi), %zmm31
  kmovw (%rdi), %k1
  kmovw (%rdi), %k2
  kmovw (%rdi), %k3
  kmovw (%rdi), %k4
  kmovw (%rdi), %k5
  kmovw (%rdi), %k6
  kmovw (%rdi), %k7
  ret
kt_test_save_avx512:
  vmovdqu64 %zmm16, 0(%rdi)
  vmovdqu64 %zmm17, 64(%rdi)
  vmovdqu64 %zmm18, 128(%rdi)
  vmovdqu64 %zmm19, 192(%rdi)
  vmovdqu64 %zmm20, 256(%rdi)
  vmovdqu64 %zmm21, 320(%rdi)
  vmovdqu64 %zmm22, 384(%rdi)
  vmovdqu64 %zmm23, 448(%rdi)
  vmovdqu64 %zmm24, 512(%rdi)
  vmovdqu64 %zmm25, 576(%rdi)
  vmovdqu64 %zmm26, 640(%rdi)
  vmovdqu64 %zmm27, 704(%rdi)
  vmovdqu64 %zmm28, 768(%rdi)
  vmovdqu64 %zmm29, 832(%rdi)
  vmovdqu64 %zmm30, 896(%rdi)
  vmovdqu64 %zmm31, 960(%rdi)
  kmovw %k0, 0(%rsi)
  kmovw %k1, 2(%rsi)
  kmovw %k2, 4(%rsi)
  kmovw %k3, 6(%rsi)
  kmovw %k4, 8(%rsi)
  kmovw %k5, 10(%rsi)
  kmovw %k6, 12(%rsi)
  kmovw %k7, 14(%rsi)
  ret
  .popsection
)");

// load_secrets() puts the secret in every data register: xmm/ymm, an MMX
// register (mm0 = x87 R0), and x87 R7 by a push and pop that leaves the x87
// stack empty, as the ABI wants, and the value in the register.
[[gnu::noinline]] void load_secrets() {
  if (__builtin_cpu_supports("avx")) {
    kt_test_load_ymm(kSecretVec);
  } else {
    asm volatile(
        "movdqa %0, %%xmm0\n\tmovdqa %0, %%xmm5\n\tmovdqa %0, %%xmm10\n\tmovdqa %0, %%xmm15" ::"m"(
            *reinterpret_cast<const uint8_t(*)[16]>(kSecretVec))
        : "xmm0", "xmm5", "xmm10", "xmm15");
  }
  if (has_avx512()) kt_test_load_avx512(kSecretVec);
  struct X87Value {
    uint64_t mantissa;
    uint16_t exponent;
  };
  static const X87Value ext{kSecret, 0x3fff};
  asm volatile("movq %0, %%mm0\n\temms\n\tfldt %1\n\tfstp %%st(0)" ::"m"(kSecretVec[0]), "m"(ext)
               : "mm0", "st");
}

// save_state() reads the registers without disturbing them: FXSAVE first.
[[gnu::noinline]] void save_state(FpState* s) {
  asm volatile("fxsave64 %0" : "=m"(s->fx));
  s->avx = __builtin_cpu_supports("avx");
  s->avx512 = has_avx512();
  if (s->avx) kt_test_save_ymm_hi(s->ymm_hi);
  if (s->avx512) kt_test_save_avx512(s->zmm_hi16, s->k);
}

// The secret is seen when nothing wipes (the check can fail), and is gone,
// with every data register zero, after the last exit; an inner exit keeps it.
TEST_P(Fpu, LastExitZeroesEveryVectorAndX87Register) {
  FpState plain{}, inner{}, last{};
  int c0 = -1, c1 = -1;
  run_in_kthread([&] {
    load_secrets();
    save_state(&plain);
    c0 = kt_fpu_enter();
    c1 = kt_fpu_enter();
    load_secrets();
    kt_fpu_exit(c1);
    save_state(&inner);
    load_secrets();
    kt_fpu_exit(c0);
    save_state(&last);
  });
  EXPECT_EQ(c0, 0);
  EXPECT_NE(c1, 0);
  // x87 R0 (as mm0) and R7; xmm0-15 and their upper halves, or 4 xmm
  // without AVX; zmm16-31 and k1-7.
  const int all = 2 + (plain.avx ? 16 + 16 : 4) + (plain.avx512 ? 16 + 7 : 0);
  EXPECT_EQ(plain.secrets(), all) << "the check sees secrets left in registers";
  EXPECT_GT(inner.secrets(), 0) << "a nested exit wipes nothing";
  EXPECT_EQ(last.secrets(), 0);
  EXPECT_TRUE(last.zero());
  uint32_t mxcsr;
  uint16_t x87cw;
  memcpy(&x87cw, last.fx, 2);
  memcpy(&mxcsr, last.fx + 24, 4);
  EXPECT_EQ(mxcsr, 0x1f80u);
  EXPECT_EQ(x87cw, 0x037f);
}

// fpu_scrub() clears the same registers but keeps the caller's control words.
TEST_P(Fpu, ScrubKeepsTheControlWords) {
  FpState s{};
  unsigned rc = 0;
  uint16_t w = 0;
  run_in_kthread([&] {
    set_mxcsr_rc(0x6000);
    set_fcw(0x0f7f);
    load_secrets();
    md::fpu_scrub();
    save_state(&s);
    rc = mxcsr_rc();
    w = fcw();
  });
  EXPECT_EQ(s.secrets(), 0);
  EXPECT_TRUE(s.zero());
  EXPECT_EQ(rc, 0x6000u);
  EXPECT_EQ(w, 0x0f7f);
}

// A thread that leaves with a section open leaves no secret to the thread
// that runs next on its host thread: one that breaks (Plan 9's Broken), and
// one whose C++ section is closed by the exit's unwinding. The watcher is
// queued behind it on the one vCPU and looks as soon as it runs.
void leaves_in_a_section_then_watcher_looks(const std::function<void()>& leave, FpState* seen) {
  std::atomic<bool> loaded{false};
  Thread watcher({.name = "watcher", .cpu = 0}, [&] {
    while (!loaded.load()) kt_thread_yield();
    save_state(seen);
  });
  Thread leaver({.name = "leaver", .cpu = 0, .joinable = false}, [&] {
    loaded = true;
    leave();
  });
  watcher.join();
}

TEST_P(Fpu, BreakingInsideASectionLeavesNoSecret) {
  FpState seen{};
  leaves_in_a_section_then_watcher_looks(
      [] {
        kt_fpu_enter();
        load_secrets();
        kt_thread_break(0);
      },
      &seen);
  EXPECT_EQ(seen.secrets(), 0);
}

// A C thread (kthread_fpu_enter without a scope) that exits inside its
// section leaves no secret either.
TEST_P(Fpu, ExitingInsideACSectionLeavesNoSecret) {
  FpState seen{};
  leaves_in_a_section_then_watcher_looks(
      [] {
        kt_fpu_enter();
        load_secrets();
        kt_thread_exit(0);
      },
      &seen);
  EXPECT_EQ(seen.secrets(), 0);
}

TEST_P(Fpu, ExitingThroughAnOpenCxxSectionLeavesNoSecret) {
  FpState seen{};
  leaves_in_a_section_then_watcher_looks(
      [] {
        FpuSection fpu;
        load_secrets();
        this_thread::exit(0);
      },
      &seen);
  EXPECT_EQ(seen.secrets(), 0);
}

using FpuDeath = Fpu;
INSTANTIATE_TEST_SUITE_P(Ncpu, FpuDeath, ::testing::Values(1u));

TEST_P(FpuDeath, MisusePanicsNamingTheRule) {
  // The child must boot its own kernel: re-execute instead of a bare fork.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(run_in_kthread([] { kt_fpu_exit(0); }), "is not in an FPU section");
  EXPECT_DEATH(run_in_kthread([] {
                 int outer = kt_fpu_enter();
                 kt_fpu_enter();
                 kt_fpu_exit(outer);
               }),
               "passed cookie 0, expected 1: sections must end in reverse order");
  EXPECT_DEATH(run_in_kthread([] {
                 kt_fpu_enter();
                 kt_fpu_exit(7);
               }),
               "passed cookie 7, expected 0");
  EXPECT_DEATH(kt_fpu_enter(), "kthread_fpu_enter: called from a host thread");
  EXPECT_DEATH(kt_fpu_exit(0), "kthread_fpu_exit: called from a host thread");
}

}  // namespace
}  // namespace kt::test
