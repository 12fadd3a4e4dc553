// The Boost.Fiber side of kt_compare: the default round_robin scheduler on
// the calling thread; across threads, one fiber on each of two host threads
// meeting through boost::fibers::mutex and condition_variable (which work
// across threads).
#include <boost/fiber/all.hpp>
#include <thread>

#include "compare.h"

namespace ktcmp::fiber {
namespace {

namespace bf = boost::fibers;

struct Gate {
  bf::mutex m;
  bf::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock l(m);
    cv.wait(l, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard l(m);
      open = true;
    }
    cv.notify_all();
  }
};

// Two players taking turns under one fiber mutex, one condition variable each.
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
  }
};

}  // namespace

double spawn(const Opts& o) {
  return median(o, [&] {
    const long n = 200000 / o.scale;
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
    std::thread other([&] { bf::fiber([&] { c.play(1, n); }).join(); });
    const uint64_t t0 = now_ns();
    c.play(0, n);
    const uint64_t t1 = now_ns();
    other.join();
    return double(t1 - t0) / double(2 * n);
  });
}

Figure mem(long n) {
  Gate g;
  std::vector<bf::fiber> fs;
  fs.reserve(size_t(n));
  const double before = rss_kib();
  for (long i = 0; i < n; i++) fs.emplace_back([&] { g.wait(); });
  boost::this_fiber::yield();  // every fiber runs up to its wait
  const double after = rss_kib();
  g.release();
  for (auto& f : fs) f.join();
  return {(after - before) / double(n), ""};
}

}  // namespace ktcmp::fiber
