// Thread life cycle: create + run + exit + join of an empty, joinable,
// MPSAFE kernel thread, one after another, on a 1-vCPU kernel.
//
//   FromKthread: the creator is itself a kernel thread on the vCPU, so the
//                join sleeps in the kernel and the whole cycle is switches
//                (the path the target "create+exit+join < 300 ns" is about).
//   FromHost:    the creator is the benchmark's host thread; the child runs
//                on the vCPU's host thread and the join sleeps on a futex.
//
// Both through the C ABI (kt_thread_create / kt_thread_join) and through
// kt::Thread. Counters (bench.h): ns_per_op is one create+exit+join.
#include <benchmark/benchmark.h>

#include "bench.h"
#include "kt/c/thread.h"
#include "kt/thread.hpp"

namespace {

using ktbench::Booted;
using ktbench::Meter;

constexpr int kWarmup = 512;  // fills the descriptor and stack caches

void empty(void*) {}

void spawn_c_loop(benchmark::State& state) {
  const kt_thread_attr a = ktbench::attr("empty", KT_JOINABLE);
  auto once = [&] {
    kt_tid_t t;
    if (kt_thread_create(&a, empty, nullptr, &t) != 0) abort();
    if (kt_thread_join(t, nullptr) != 0) abort();
  };
  for (int i = 0; i < kWarmup; i++) once();
  Meter m;
  m.start();
  for (auto _ : state) once();
  m.stop();
  m.report(state, 1);
}

void spawn_native_loop(benchmark::State& state) {
  const kt::ThreadOptions o{.name = "empty"};  // short: no heap string
  auto once = [&] {
    kt::Thread t(o, [] {});
    t.join();
  };
  for (int i = 0; i < kWarmup; i++) once();
  Meter m;
  m.start();
  for (auto _ : state) once();
  m.stop();
  m.report(state, 1);
}

void BM_Spawn_C_FromKthread(benchmark::State& state) {
  Booted k(1);
  ktbench::in_kthread([&] { spawn_c_loop(state); });
}
BENCHMARK(BM_Spawn_C_FromKthread)->UseRealTime();

void BM_Spawn_C_FromHost(benchmark::State& state) {
  Booted k(1);
  spawn_c_loop(state);
}
BENCHMARK(BM_Spawn_C_FromHost)->UseRealTime();

void BM_Spawn_Native_FromKthread(benchmark::State& state) {
  Booted k(1);
  ktbench::in_kthread([&] { spawn_native_loop(state); });
}
BENCHMARK(BM_Spawn_Native_FromKthread)->UseRealTime();

void BM_Spawn_Native_FromHost(benchmark::State& state) {
  Booted k(1);
  spawn_native_loop(state);
}
BENCHMARK(BM_Spawn_Native_FromHost)->UseRealTime();

}  // namespace
