// The one-way switch: two kernel threads handing the CPU to each other.
// One iteration is a round trip (A -> B -> A), so ns_per_op = time / 2:
// the cost of one hand-off, from the waker's wakeup (or yield) to the other
// thread running.
//
//   SleepWakeup:  each thread sleeps on its own channel with the two-phase
//                 kt_sleep_setup/kt_sleep_finish around a test of `turn`, so
//                 no wakeup is lost; the other sets turn and kt_wakeup()s it.
//   SleepUnless:  the same with the one-hold sleep, kt_sleep_unless (the
//                 turn tested under the channel's lock).
//   CondVar:      the same ping-pong through kt::Mutex + kt::CondVar (one
//                 condition variable per side, notify_one).
//   Yield:        kt_thread_yield() between two runnable threads.
//   SleepWakeupCrossVcpu: the SleepWakeup ping-pong with the threads bound to
//                 vCPUs 0 and 1 of a 2-vCPU kernel: a cross-vCPU hand-off.
//
// Floors, to read the figures against (no kernel involved):
//   Floor_Fcontext:    two bare fcontexts jumping to each other (md::jump),
//                      the least any one-way switch can cost here.
//   Floor_AtomicXchg:  one uncontended xchg, the price of every spin-lock
//                      acquisition (and of any other atomic read-modify-write)
//                      on the hot paths.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "bench.h"
#include "court.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"
#include "kt/sync.hpp"
#include "md/context.h"

namespace {

using ktbench::Booted;
using ktbench::Court;
using ktbench::Meter;

constexpr int kWarmup = 1000;

// Player 0 runs the benchmark loop; player 1 returns every serve.
void sleep_wakeup(benchmark::State& state, unsigned ncpu, int cpu_a, int cpu_b,
                  bool one_hold = false) {
  Booted k(ncpu);
  Court c;
  c.two_phase = !one_hold;
  bool stop = false;  // read by pong on its turn, after the serve that set it
  auto pong = [&] {
    for (;;) {
      c.await(1);
      if (stop) return;
      c.pass(1);
    }
  };
  const kt_tid_t b = ktbench::spawn("pong", pong, cpu_b);
  ktbench::in_kthread(
      [&] {
        for (int i = 0; i < kWarmup; i++) {
          c.pass(0);
          c.await(0);
        }
        Meter m;
        m.start();
        for (auto _ : state) {
          c.pass(0);
          c.await(0);
        }
        m.stop();
        m.report(state, 2);
        stop = true;
        c.pass(0);
      },
      cpu_a);
  kt_thread_join(b, nullptr);
}

void BM_Switch_SleepWakeup(benchmark::State& state) { sleep_wakeup(state, 1, 0, 0); }
BENCHMARK(BM_Switch_SleepWakeup)->UseRealTime();

void BM_Switch_SleepUnless(benchmark::State& state) { sleep_wakeup(state, 1, 0, 0, true); }
BENCHMARK(BM_Switch_SleepUnless)->UseRealTime();

void BM_Switch_SleepWakeupCrossVcpu(benchmark::State& state) { sleep_wakeup(state, 2, 0, 1); }
BENCHMARK(BM_Switch_SleepWakeupCrossVcpu)->UseRealTime();

void BM_Switch_CondVar(benchmark::State& state) {
  Booted k(1);
  kt::Mutex mu;
  kt::CondVar cv[2];
  int turn = 0;
  bool stop = false;
  auto serve = [&](int me) {  // called with mu held
    turn = 1 - me;
    cv[1 - me].notify_one();
  };
  auto pong = [&] {
    std::unique_lock lk(mu);
    for (;;) {
      cv[1].wait(lk, [&] { return turn == 1; });
      if (stop) return;
      serve(1);
    }
  };
  const kt_tid_t b = ktbench::spawn("pong", pong, 0);
  ktbench::in_kthread(
      [&] {
        auto round = [&] {
          std::unique_lock lk(mu);
          serve(0);
          cv[0].wait(lk, [&] { return turn == 0; });
        };
        for (int i = 0; i < kWarmup; i++) round();
        Meter m;
        m.start();
        for (auto _ : state) round();
        m.stop();
        m.report(state, 2);
        std::unique_lock lk(mu);
        stop = true;
        serve(0);
      },
      0);
  kt_thread_join(b, nullptr);
}
BENCHMARK(BM_Switch_CondVar)->UseRealTime();

void BM_Switch_Yield(benchmark::State& state) {
  Booted k(1);
  std::atomic<bool> stop{false};
  auto other = [&] {
    while (!stop.load(std::memory_order_relaxed)) kt_thread_yield();
  };
  const kt_tid_t b = ktbench::spawn("yielder", other, 0);
  ktbench::in_kthread(
      [&] {
        for (int i = 0; i < kWarmup; i++) kt_thread_yield();
        Meter m;
        m.start();
        for (auto _ : state) kt_thread_yield();
        m.stop();
        m.report(state, 2);
        stop = true;
      },
      0);
  kt_thread_join(b, nullptr);
}
BENCHMARK(BM_Switch_Yield)->UseRealTime();

// One round trip between the benchmark's stack and a bare fcontext.
void BM_Floor_Fcontext(benchmark::State& state) {
  namespace md = kt::md;
  constexpr size_t kStack = 64 * 1024;
  auto stack = std::make_unique<char[]>(kStack);
  // The other side: jump back to whoever jumped here, for ever.
  const md::Fctx other = md::make_context(stack.get() + kStack, kStack, [](md::Transfer t) {
    for (;;) t = md::jump(t.from, nullptr);
  });
  md::Transfer t{other, nullptr};
  for (int i = 0; i < kWarmup; i++) t = md::jump(t.from, nullptr);
  Meter m;
  m.start();
  for (auto _ : state) t = md::jump(t.from, nullptr);
  m.stop();
  m.report(state, 2);
}
BENCHMARK(BM_Floor_Fcontext);

void BM_Floor_AtomicXchg(benchmark::State& state) {
  std::atomic<bool> flag{false};
  Meter m;
  m.start();
  for (auto _ : state) {
    benchmark::DoNotOptimize(flag.exchange(true, std::memory_order_acquire));
    flag.store(false, std::memory_order_release);
  }
  m.stop();
  m.report(state, 1);
}
BENCHMARK(BM_Floor_AtomicXchg);

}  // namespace
