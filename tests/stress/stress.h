// Helpers for the stress tests: a seed that is printed with every failure, a
// time budget per test, random spin delays, and busy neighbours that keep
// the host oversubscribed.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kt/kthreads.hpp"

namespace kt::test {

#if defined(KT_SANITIZE_ADDRESS) || defined(KT_SANITIZE_THREAD)
inline constexpr int kScale = 10;
#else
inline constexpr int kScale = 1;
#endif

// stress_seed() is KT_STRESS_SEED when set (to replay a failure), else
// fresh. Tests show it with SCOPED_TRACE, so every failure prints it.
inline uint64_t stress_seed() {
  if (const char* s = getenv("KT_STRESS_SEED")) return strtoull(s, nullptr, 0);
  return (uint64_t(std::random_device{}()) << 32) | std::random_device{}();
}
inline std::string seed_trace(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (KT_STRESS_SEED=" + std::to_string(seed) +
         " replays it)";
}

// spin() delays by n pause instructions: a few ns each, no preemption point.
inline void spin(unsigned n) {
  for (unsigned i = 0; i < n; i++) __builtin_ia32_pause();
}

// Rng is a small per-thread generator; delay() picks a spin length that is
// mostly short (inside a few-instruction window), sometimes long (past it).
struct Rng {
  explicit Rng(uint64_t seed) : g(seed) {}
  std::mt19937_64 g;
  unsigned below(unsigned n) { return unsigned(g() % n); }
  unsigned delay() {
    const unsigned r = below(16);
    return r < 10 ? below(64) : r < 15 ? below(1000) : below(5000);
  }
};

// Budget runs a loop for at least min and at most max iterations, stopping
// between the two once its time is up: the races run as long as a plain
// build affords (sanitizer builds get the same time, so fewer rounds).
class Budget {
 public:
  Budget(std::chrono::milliseconds t, long min, long max)
      : end_(std::chrono::steady_clock::now() + t), min_(min), max_(max) {}
  bool more(long done) const {
    if (done >= max_) return false;
    return done < min_ || std::chrono::steady_clock::now() < end_;
  }
  long min() const { return min_; }

 private:
  std::chrono::steady_clock::time_point end_;
  long min_, max_;
};

// Neighbours runs a busy thread on two vCPUs from `first` on (if there are
// such): each spins, yields and sleeps for random spells, so that the host,
// with more busy vCPUs than cores, preempts vCPU threads at arbitrary points
// (inside the windows under test, lock holders included), and vCPUs park
// and wake. Two are enough to oversubscribe a small host without starving
// the threads under test.
class Neighbours {
 public:
  Neighbours(unsigned first, unsigned ncpu, uint64_t seed) {
    for (unsigned cpu = first; cpu < ncpu && cpu < first + 2; cpu++)
      threads_.emplace_back(ThreadOptions{.name = "neighbour", .cpu = int(cpu)}, [this, seed, cpu] {
        Rng r(seed + 1000 + cpu);
        while (!stop_.load(std::memory_order_relaxed)) {
          spin(r.delay());
          if (r.below(2) == 0)
            kt_sleep(&stop_, "neighbour", 0, 10000 + r.below(100000));
          else
            kt_thread_yield();
        }
      });
  }
  ~Neighbours() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<Thread> threads_;
};

// Step is a round counter one side publishes and the others wait for:
// briefly spinning, so that at the start of a round the other side is
// running and can act at once, then asleep, so that a waiting side leaves
// the host CPU to the side it waits for.
class Step {
 public:
  long load() const { return n_.load(std::memory_order_acquire); }
  void publish(long n) {
    n_.store(n, std::memory_order_release);
    kt_wakeup(&n_);
  }
  // wait() returns false when stop is set before n is reached.
  bool wait(long n, const std::atomic<bool>& stop) {
    for (int i = 0; i < 20000; i++) {  // a millisecond or so
      if (load() >= n) return true;
      if (stop.load(std::memory_order_acquire)) return false;
      __builtin_ia32_pause();
    }
    Waiting w{this, n, &stop};
    // Tested under the channel's lock: a publish before the sleep is seen.
    while (!reached(&w)) kt_sleep_unless(&n_, "step", 0, 0, reached, &w);
    return load() >= n;
  }

 private:
  struct Waiting {
    Step* step;
    long n;
    const std::atomic<bool>* stop;
  };
  static int reached(void* p) {
    auto* w = static_cast<Waiting*>(p);
    return w->step->load() >= w->n || w->stop->load(std::memory_order_acquire);
  }
  std::atomic<long> n_{0};
};

// stop_all() sets stop and wakes whoever waits on any of steps.
inline void stop_all(std::atomic<bool>& stop, std::initializer_list<Step*> steps) {
  stop.store(true, std::memory_order_release);
  for (Step* s : steps) s->publish(s->load());
}

// poll_until() yields, then sleeps in short naps, until pred() holds;
// false after a generous bound (a hang becomes a failure).
template <typename P>
bool poll_until(P pred) {
  static int nap;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; !pred(); i++) {
    if (std::chrono::steady_clock::now() > end) return false;
    if (i < 100)
      kt_thread_yield();
    else
      kt_sleep(&nap, "poll", 0, 20000);
  }
  return true;
}

inline bool wait_for_state(kt_tid_t t, int state) {
  return poll_until([&] { return kt_thread_state(t) == state; });
}

}  // namespace kt::test
