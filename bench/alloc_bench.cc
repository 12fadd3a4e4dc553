// The allocation counter behind the `allocs` counter of every suite.
//
// kt_bench interposes the malloc family (the executable's definitions win
// over glibc's for every caller, libstdc++'s operator new included) and
// forwards to glibc's own entry points, counting each call. The counter is
// one relaxed add on a path that should never run: the hot paths are meant
// to allocate nothing, so in the steady state it costs nothing.
//
// BM_AllocHookSelfCheck shows the hook sees what it should (malloc from C,
// operator new from C++), so that `allocs=0` elsewhere means something.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "bench.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
std::atomic<uint64_t> g_allocs{0};
inline void count() { g_allocs.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

extern "C" {

void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}

void* calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}

void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}

void free(void* p) { __libc_free(p); }

void* memalign(size_t align, size_t n) {
  count();
  return __libc_memalign(align, n);
}

void* aligned_alloc(size_t align, size_t n) {
  count();
  return __libc_memalign(align, n);
}

int posix_memalign(void** out, size_t align, size_t n) {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  count();
  void* p = __libc_memalign(align, n);
  if (!p && n) return ENOMEM;
  *out = p;
  return 0;
}

}  // extern "C"

uint64_t ktbench::allocations() { return g_allocs.load(std::memory_order_relaxed); }

namespace {

// One malloc and one operator new per iteration: allocs_per_iter must read 2.
void BM_AllocHookSelfCheck(benchmark::State& state) {
  void* (*volatile m)(size_t) = malloc;
  const uint64_t a0 = ktbench::allocations();
  for (auto _ : state) {
    void* p = m(24);
    benchmark::DoNotOptimize(p);
    free(p);
    auto q = std::make_unique<long[]>(3);
    benchmark::DoNotOptimize(q.get());
  }
  state.counters["allocs_per_iter"] =
      double(ktbench::allocations() - a0) / double(state.iterations());
}
BENCHMARK(BM_AllocHookSelfCheck)->Iterations(1000);

}  // namespace
