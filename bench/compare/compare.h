// kt_compare: the same operations on kthreads and on the runtimes its users
// would otherwise pick, measured side by side in one run (bench/compare/).
//
// Every figure is the median of Opts::reps repetitions. Time figures are ns
// per operation: one create+exit+join (spawn), one thread of a batch
// (spawn_batch), one one-way hand-off (pingpong); memory figures are KiB of
// resident memory per idle thread.
#pragma once

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
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

inline double rss_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / 1024.0;
}

template <typename F>
double median(const Opts& o, F&& f) {
  std::vector<double> xs;
  for (int i = 0; i < o.reps; i++) xs.push_back(f());
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// A figure, or a note saying why there is none.
struct Figure {
  double value = -1;
  const char* note = "";
};

namespace kthreads {
double spawn(const Opts&);
double spawn_batch(const Opts&);
double pingpong_same(const Opts&);
double pingpong_same_cv(const Opts&);
double pingpong_cross(const Opts&);
Figure mem(long n);
double spawn_throughput(const Opts&, unsigned ncpu);  // create+exit+join per second
}  // namespace kthreads

namespace pthreads {
double spawn(const Opts&);
double spawn_batch(const Opts&);
double pingpong_cv(const Opts&, bool cross);
double pingpong_futex(const Opts&, bool cross);
Figure mem(long n);
}  // namespace pthreads

namespace fiber {
double spawn(const Opts&);
double spawn_batch(const Opts&);
double pingpong_same(const Opts&);
double pingpong_cross(const Opts&);
Figure mem(long n);
}  // namespace fiber

namespace context {
double spawn(const Opts&);
double pingpong(const Opts&);
}  // namespace context

}  // namespace ktcmp
