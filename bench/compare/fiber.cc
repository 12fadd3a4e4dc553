// The Boost.Fiber side of kt_compare: fibers with the default stack
// allocator under the default round_robin scheduler on the calling thread.
// Across CPUs: one fiber on each of two host threads (pinned to CPUs 0 and
// 1), meeting through boost::fibers::mutex and condition_variable, which
// are safe across threads; a thread whose only fiber waits sleeps in its
// scheduler until the other thread wakes it.
#include <pthread.h>
#include <sched.h>

#include <boost/fiber/all.hpp>
#include <new>
#include <system_error>
#include <thread>

#include "compare.h"

namespace ktcmp::fiber {
namespace {

namespace bf = boost::fibers;

void pin(pthread_t t, int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(t, sizeof s, &s);
}

// Gate: fibers count themselves in and wait until it opens.
struct Gate {
  bf::mutex m;
  bf::condition_variable cv, all_in;
  bool open = false;
  long arrived = 0;
  void wait() {
    std::unique_lock l(m);
    ++arrived;
    all_in.notify_one();
    cv.wait(l, [&] { return open; });
  }
  void await_all(long n) {
    std::unique_lock l(m);
    all_in.wait(l, [&] { return arrived >= n; });
  }
  void release() {
    {
      std::lock_guard l(m);
      open = true;
    }
    cv.notify_all();
  }
};

// Two players taking turns under one fiber mutex, one condition variable
// each; player 0 also waits for the last return.
struct Court {
  bf::mutex m;
  bf::condition_variable cv[2];
  int turn = 0;
  void play(int me, long n) {
    std::unique_lock l(m);
    for (long i = 0; i < n; i++) {
      cv[me].wait(l, [&] { return turn == me; });
      turn = 1 - me;
      cv[1 - me].notify_one();
    }
    if (me == 0) cv[0].wait(l, [&] { return turn == 0; });
  }
};

}  // namespace

double spawn(const Opts& o) {
  return median(o, [&] {
    const long n = 200000 / o.scale;
    for (int i = 0; i < 1000; i++) bf::fiber([] {}).join();
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) bf::fiber([] {}).join();
    return double(now_ns() - t0) / double(n);
  });
}

double spawn_batch(const Opts& o) {
  return median(o, [&] {
    const long n = 10000;
    Gate g;
    std::vector<bf::fiber> fs;
    fs.reserve(size_t(n));
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) fs.emplace_back([&] { g.wait(); });
    g.await_all(n);
    g.release();
    for (auto& f : fs) f.join();
    return double(now_ns() - t0) / double(n);
  });
}

double pingpong_same(const Opts& o) {
  return median(o, [&] {
    const long n = 500000 / o.scale;
    Court c;
    bf::fiber other([&] { c.play(1, n); });
    const uint64_t t0 = now_ns();
    c.play(0, n);
    const uint64_t t1 = now_ns();
    other.join();
    return double(t1 - t0) / double(2 * n);
  });
}

double pingpong_cross(const Opts& o) {
  return median(o, [&] {
    const long n = 20000 / o.scale;
    Court c;
    cpu_set_t old;
    pthread_getaffinity_np(pthread_self(), sizeof old, &old);
    pin(pthread_self(), 0);
    std::thread other([&] { bf::fiber([&] { c.play(1, n); }).join(); });
    pin(other.native_handle(), 1);
    uint64_t t0 = 0, t1 = 0;
    bf::fiber mine([&] {
      t0 = now_ns();
      c.play(0, n);
      t1 = now_ns();
    });
    mine.join();
    other.join();
    pthread_setaffinity_np(pthread_self(), sizeof old, &old);
    return double(t1 - t0) / double(2 * n);
  });
}

// n fibers with the default stack, each waiting on the gate.
MemFigure mem(long n) {
  Gate g;
  std::vector<bf::fiber> fs;
  fs.reserve(size_t(n));
  MemFigure f;
  const double before = rss_kib();
  try {
    for (; f.reached < n; f.reached++) fs.emplace_back([&] { g.wait(); });
  } catch (const std::bad_alloc&) {
    f.error = "bad_alloc";
  } catch (const std::system_error&) {
    f.error = "system_error";
  }
  g.await_all(f.reached);
  const double after = rss_kib();
  if (f.reached > 0) f.kib_per_thread = (after - before) / double(f.reached);
  g.release();
  for (auto& x : fs) x.join();
  return f;
}

}  // namespace ktcmp::fiber
