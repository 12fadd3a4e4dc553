// kt_compare: the same operations on kthreads and on the runtimes its users
// would otherwise pick, measured side by side in one run (bench/compare/).
//
// Time figures are wall-clock ns per operation, each the median of
// Opts::reps repetitions: one create+run+exit+join (spawn), one thread of a
// batch (spawn_batch), one one-way hand-off (pingpong). Memory figures are
// KiB of resident memory (VmRSS) per idle thread; each is measured in a
// fresh child process (compare.cc), so no earlier test's freed memory is
// reused and counted as free.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ktcmp {

struct Opts {
  int reps = 5;
  int scale = 1;  // --quick divides the loop counts by this
};

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// rss_kib() is VmRSS from /proc/self/status, in KiB (-1 if unreadable).
inline double rss_kib() {
  double kib = -1;
  if (FILE* f = fopen("/proc/self/status", "r")) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "VmRSS:", 6) == 0) {
        kib = strtod(line + 6, nullptr);
        break;
      }
    fclose(f);
  }
  return kib;
}

// median() runs f o.reps times and returns the median of its results.
template <typename F>
double median(const Opts& o, F&& f) {
  std::vector<double> xs;
  for (int i = 0; i < o.reps; i++) xs.push_back(f());
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// A memory figure: KiB per thread over `reached` threads; `error` is empty
// when all the threads asked for were created, else why creation stopped.
struct MemFigure {
  double kib_per_thread = -1;
  long reached = 0;
  std::string error;
};

namespace kthreads {
double spawn(const Opts&);
double spawn_batch(const Opts&);
double pingpong_same(const Opts&);            // sleep/wakeup on wait channels, 1 vCPU
double pingpong_same_two_phase(const Opts&);  // the same with the two-phase sleep
double pingpong_same_cv(const Opts&);         // kt_mutex + kt_cv, 1 vCPU
double pingpong_cross(const Opts&);           // sleep/wakeup, bound to vCPUs 0 and 1
MemFigure mem(long n);
// create+exit+join per second, one run (compare.cc interleaves the ncpu)
double spawn_throughput(const Opts&, unsigned ncpu);
}  // namespace kthreads

namespace pthreads {
double spawn(const Opts&);
double spawn_batch(const Opts&);
double pingpong_cv(const Opts&, bool cross);
double pingpong_futex(const Opts&, bool cross);
MemFigure mem(long n);
}  // namespace pthreads

namespace fiber {
double spawn(const Opts&);
double spawn_batch(const Opts&);
double pingpong_same(const Opts&);
double pingpong_cross(const Opts&);
MemFigure mem(long n);
}  // namespace fiber

namespace context {
double spawn(const Opts&);
double pingpong(const Opts&);
double locked_rmw(const Opts&);
}  // namespace context

}  // namespace ktcmp
