// The core's hot paths: create+run+exit+join, the one-way switch through
// sleep/wakeup on one vCPU and across two, and memory per idle thread.
// Each case boots its own kernel and measures from inside a kernel thread,
// where the kernel's own callers are.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <vector>

#include "kt/c/sleep.h"
#include "kt/c/thread.h"
#include "kt/kernel.h"
#include "kt/kthreads.hpp"

namespace {

struct Booted {
  explicit Booted(unsigned ncpu, unsigned maxproc = 0) {
    kt_config c{};
    c.ncpu = ncpu;
    c.maxproc = maxproc;
    if (kt_boot(&c) != 0) abort();
  }
  ~Booted() { kt_shutdown(0); }
};

// Runs body in a joinable kernel thread (optionally bound) and waits.
void in_kthread(const std::function<void()>& body, int cpu = -1) {
  kt::Thread t({.name = "bench", .cpu = cpu}, [&] { body(); });
  t.join();
}

kt_thread_attr attr(const char* name, unsigned flags, int cpu = -1) {
  kt_thread_attr a{};
  a.name = name;
  a.pri = -1;
  a.cpu = cpu;
  a.flags = KT_MPSAFE | flags;
  return a;
}

void BM_SpawnJoin(benchmark::State& state) {
  Booted k(1);
  in_kthread([&] {
    const kt_thread_attr a = attr("empty", KT_JOINABLE);
    for (auto _ : state) {
      kt_tid_t t;
      kt_thread_create(
          &a, [](void*) {}, nullptr, &t);
      kt_thread_join(t, nullptr);
    }
  });
  state.counters["ns_per_spawn"] = benchmark::Counter(
      double(state.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SpawnJoin)->UseRealTime();

void BM_SpawnJoinNative(benchmark::State& state) {
  Booted k(1);
  in_kthread([&] {
    for (auto _ : state) {
      kt::Thread t({.name = "empty"}, [] {});
      t.join();
    }
  });
}
BENCHMARK(BM_SpawnJoinNative)->UseRealTime();

// Two threads hand a ball back and forth through two-phase sleeps on one
// channel: one iteration is one one-way switch.
struct PingPong {
  int ball = 0;
  long left = 0;  // touched only by whoever holds the ball

  void play(int me) {
    for (;;) {
      kt_sleep_setup(&ball, "ball", 0);
      if (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != me) {
        kt_sleep_finish(0, 1);
        continue;
      }
      kt_sleep_finish(0, 0);
      const bool done = left-- <= 0;
      __atomic_store_n(&ball, 1 - me, __ATOMIC_RELEASE);
      kt_wakeup(&ball);
      if (done) return;
    }
  }
};

void pingpong(benchmark::State& state, unsigned ncpu, int cpu_a, int cpu_b) {
  Booted k(ncpu);
  for (auto _ : state) {
    PingPong p;
    p.left = long(state.range(0));
    kt::Thread a({.name = "ping", .cpu = cpu_a}, [&] { p.play(0); });
    kt::Thread b({.name = "pong", .cpu = cpu_b}, [&] { p.play(1); });
    a.join();
    b.join();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_PingPongSameVcpu(benchmark::State& state) { pingpong(state, 1, 0, 0); }
BENCHMARK(BM_PingPongSameVcpu)->Arg(200000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PingPongCrossVcpu(benchmark::State& state) { pingpong(state, 2, 0, 1); }
BENCHMARK(BM_PingPongCrossVcpu)->Arg(50000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CondVarPingPong(benchmark::State& state) {
  Booted k(1);
  for (auto _ : state) {
    kt::Mutex m;
    kt::CondVar cv;
    int turn = 0;
    long n = state.range(0);
    auto player = [&](int me) {
      std::unique_lock lk(m);
      for (long i = 0; i < n; i++) {
        cv.wait(lk, [&] { return turn == me; });
        turn = 1 - me;
        cv.notify_one();
      }
    };
    kt::Thread a({.cpu = 0}, [&] { player(0); });
    kt::Thread b({.cpu = 0}, [&] { player(1); });
    a.join();
    b.join();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 2);
}
BENCHMARK(BM_CondVarPingPong)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Yield(benchmark::State& state) {
  Booted k(1);
  for (auto _ : state) {
    std::atomic<bool> stop{false};
    const long n = state.range(0);
    kt::Thread other({.cpu = 0}, [&] {
      while (!stop.load(std::memory_order_relaxed)) kt_thread_yield();
    });
    in_kthread(
        [&] {
          for (long i = 0; i < n; i++) kt_thread_yield();
          stop = true;
        },
        0);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 2);
}
BENCHMARK(BM_Yield)->Arg(200000)->Unit(benchmark::kMillisecond)->UseRealTime();

long rss_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Memory per idle thread: N threads each asleep on a channel.
void BM_IdleThreadMemory(benchmark::State& state) {
  const long n = state.range(0);
  Booted k(2, unsigned(n) + 100);
  static int chan;
  double per = 0;
  for (auto _ : state) {
    const kt_thread_attr a = attr("idle", 0);
    // Warm the pools first so their one-time growth is not counted.
    std::vector<kt_tid_t> ts(size_t(n), 0);
    const long before = rss_kib();
    for (long i = 0; i < n; i++)
      if (kt_thread_create(
              &a, [](void*) { kt_sleep(&chan, "idle", 0, 0); }, nullptr, &ts[size_t(i)]))
        abort();
    // Wait until all have run to their sleep.
    for (long i = 0; i < n; i++)
      while (kt_thread_state(ts[size_t(i)]) != KT_SLEEPING) sched_yield();
    const long after = rss_kib();
    per = double(after - before) / double(n);
    state.PauseTiming();
    kt_wakeup(&chan);
    for (long i = 0; i < n; i++)
      while (kt_thread_pid(ts[size_t(i)]) != -1) sched_yield();
    state.ResumeTiming();
  }
  state.counters["KiB_per_thread"] = per;
}
BENCHMARK(BM_IdleThreadMemory)
    ->Arg(100000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
