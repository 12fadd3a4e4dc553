// Memory per idle kernel thread: 100,000 threads alive, each asleep on a
// wait channel, on a kernel booted with maxproc 200000.
//
//   KiB_per_thread   resident-set growth (/proc/self/statm) from just
//                    before the first create to all of them asleep, per thread
//   stack_KiB_per_thread  of which stack pages the threads touched
//                    (md::stack_touched: mincore of each stack)
//   descriptor_bytes sizeof(KThread), the descriptor each thread holds
//   canary_stacks    stacks guarded by a canary only (no guard region or
//                    PROT_NONE page): each commits its lowest page as well
//
// The descriptor slabs are mapped once per process and never unmapped, so a
// run that follows another with as many threads counts them only once:
// run this suite alone (--benchmark_filter=Memory) for the cold figure.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "bench.h"
#include "core/thread.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"
#include "md/stack.h"

namespace {

long rss_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int g_chan;

void idle(void*) { kt_sleep(&g_chan, "idle", 0, 0); }

void BM_Memory_IdleThreads(benchmark::State& state) {
  const long n = state.range(0);
  ktbench::Booted k(1, 200000);
  const kt_thread_attr a = ktbench::attr("idle", 0);
  std::vector<kt_tid_t> ts(size_t(n), 0);
  double per = 0, stack_per = 0;
  long canary = 0;
  for (auto _ : state) {
    const long before = rss_kib();
    for (long i = 0; i < n; i++)
      if (kt_thread_create(&a, idle, nullptr, &ts[size_t(i)]) != 0) abort();
    for (long i = 0; i < n; i++)
      while (kt_thread_state(ts[size_t(i)]) != KT_SLEEPING) sched_yield();
    const long after = rss_kib();
    per = double(after - before) / double(n);

    state.PauseTiming();
    size_t touched = 0;
    canary = 0;
    kt::proctab::for_each([&](kt::KThread* t) {
      if (t->entry_ != idle) return;
      touched += kt::md::stack_touched(t->stack_);
      if (kt::md::stack_needs_canary(t->stack_)) canary++;
    });
    stack_per = double(touched) / 1024.0 / double(n);
    kt_wakeup(&g_chan);
    for (long i = 0; i < n; i++)
      while (kt_thread_pid(ts[size_t(i)]) != -1) sched_yield();
    state.ResumeTiming();
  }
  state.counters["KiB_per_thread"] = per;
  state.counters["stack_KiB_per_thread"] = stack_per;
  state.counters["descriptor_bytes"] = double(sizeof(kt::KThread));
  state.counters["canary_stacks"] = double(canary);
}
BENCHMARK(BM_Memory_IdleThreads)
    ->Arg(100000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
