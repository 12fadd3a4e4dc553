// Shared pieces of the kt_bench suites (bench/*_bench.cc): a booted kernel
// per benchmark, running a body inside a kernel thread, and the Meter that
// turns a timed loop into the counters every suite reports:
//
//   ns_per_op    wall-clock ns per operation (an operation is what the
//                benchmark names: one create+exit+join, one one-way switch)
//   cpu_ns_per_op    process CPU time (all host threads) per operation: on a
//                shared, loaded host this is the steadier figure, since wall
//                time also counts the time other processes held the core
//   allocs       malloc/new calls (all threads) during the timed loop; the
//                loops run after a warm-up, so anything but 0 means the hot
//                path allocates (counted by the interposer in alloc_bench.cc)
//   host_csw_per_op  voluntary host context switches per operation: a
//                futex sleep or a sched_yield somewhere on the path
//   minflt_per_op    minor page faults per operation: pages given back
//                (MADV_DONTNEED) and touched again, or never touched before
//
// Under callgrind, the Meter zeroes the statistics at start() and dumps them
// at stop(), so each dump holds one timed loop and nothing else:
//   valgrind --tool=callgrind kt_bench --benchmark_filter=... --benchmark_min_time=0.01
// (outside valgrind the two client requests are a few no-op instructions).
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <utility>

#include "kt/c/thread.h"
#include "kt/kernel.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define KTBENCH_CG_ZERO() CALLGRIND_ZERO_STATS
#define KTBENCH_CG_DUMP() CALLGRIND_DUMP_STATS
#else
#define KTBENCH_CG_ZERO() ((void)0)
#define KTBENCH_CG_DUMP() ((void)0)
#endif

namespace ktbench {

// allocations() is the number of malloc-family calls so far, process-wide.
uint64_t allocations();

inline uint64_t clock_ns(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}
inline uint64_t mono_ns() { return clock_ns(CLOCK_MONOTONIC); }

struct HostCounts {
  long vcsw = 0;    // voluntary context switches, all host threads
  long minflt = 0;  // minor page faults
};

inline HostCounts host_counts() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return {ru.ru_nvcsw, ru.ru_minflt};
}

// Booted holds a kernel up for one benchmark run.
struct Booted {
  explicit Booted(unsigned ncpu, unsigned maxproc = 0) {
    kt_config c{};
    c.ncpu = ncpu;
    c.maxproc = maxproc;
    if (kt_boot(&c) != 0) abort();
  }
  ~Booted() { kt_shutdown(0); }
  Booted(const Booted&) = delete;
  Booted& operator=(const Booted&) = delete;
};

inline kt_thread_attr attr(const char* name, unsigned flags, int cpu = -1) {
  kt_thread_attr a{};
  a.name = name;
  a.pri = -1;
  a.cpu = cpu;
  a.flags = KT_MPSAFE | flags;
  return a;
}

// spawn() creates a joinable MPSAFE kernel thread running f() (f must
// outlive it); join with kt_thread_join.
template <typename F>
kt_tid_t spawn(const char* name, F& f, int cpu = -1) {
  const kt_thread_attr a = attr(name, KT_JOINABLE, cpu);
  kt_tid_t t = 0;
  if (kt_thread_create(
          &a, [](void* p) { (*static_cast<F*>(p))(); }, &f, &t) != 0)
    abort();
  return t;
}

// in_kthread() runs body in a kernel thread (bound to cpu, or any) and waits
// for it from the calling host thread.
template <typename F>
void in_kthread(F&& body, int cpu = -1) {
  kt_tid_t t = spawn("bench", body, cpu);
  if (kt_thread_join(t, nullptr) != 0) abort();
}

// Meter brackets a timed loop: start() just before `for (auto _ : state)`,
// stop() just after, report() once back where the counters may be set.
class Meter {
 public:
  void start() {
    h0_ = host_counts();
    allocs0_ = allocations();
    KTBENCH_CG_ZERO();
    cpu0_ = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    t0_ = mono_ns();
  }
  void stop() {
    t1_ = mono_ns();
    cpu1_ = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    KTBENCH_CG_DUMP();
    allocs1_ = allocations();
    h1_ = host_counts();
  }
  // ops_per_iter: operations in one iteration of the loop.
  void report(benchmark::State& state, double ops_per_iter) const {
    const double ops = double(state.iterations()) * ops_per_iter;
    if (ops <= 0) return;
    state.counters["ns_per_op"] = double(t1_ - t0_) / ops;
    state.counters["cpu_ns_per_op"] = double(cpu1_ - cpu0_) / ops;
    state.counters["allocs"] = double(allocs1_ - allocs0_);
    state.counters["host_csw_per_op"] = double(h1_.vcsw - h0_.vcsw) / ops;
    state.counters["minflt_per_op"] = double(h1_.minflt - h0_.minflt) / ops;
  }

 private:
  uint64_t t0_ = 0, t1_ = 0, cpu0_ = 0, cpu1_ = 0;
  uint64_t allocs0_ = 0, allocs1_ = 0;
  HostCounts h0_, h1_;
};

}  // namespace ktbench
