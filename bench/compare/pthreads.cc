// The POSIX threads side of kt_compare: std::thread with std::mutex and
// std::condition_variable, and a raw futex ping-pong.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "compare.h"

namespace ktcmp::pthreads {
namespace {

void pin(std::thread& t, int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(t.native_handle(), sizeof s, &s);
}

void pin_self(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

void unpin_self() {
  cpu_set_t s;
  CPU_ZERO(&s);
  for (unsigned i = 0; i < std::thread::hardware_concurrency(); i++) CPU_SET(i, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

struct Gate {
  std::mutex m;
  std::condition_variable cv;
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

long futex(std::atomic<int>* w, int op, int v) {
  return syscall(SYS_futex, reinterpret_cast<int*>(w), op, v, nullptr, nullptr, 0);
}

}  // namespace

double spawn(const Opts& o) {
  return median(o, [&] {
    const long n = 20000 / o.scale;
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) std::thread([] {}).join();
    return double(now_ns() - t0) / double(n);
  });
}

double spawn_batch(const Opts& o) {
  return median(o, [&] {
    const long n = 10000;
    Gate g;
    std::vector<std::thread> ts;
    ts.reserve(size_t(n));
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) ts.emplace_back([&] { g.wait(); });
    g.release();
    for (auto& t : ts) t.join();
    return double(now_ns() - t0) / double(n);
  });
}

double pingpong_cv(const Opts& o, bool cross) {
  return median(o, [&] {
    const long n = 50000 / o.scale;
    std::mutex m;
    std::condition_variable cv[2];
    int turn = 0;
    auto play = [&](int me) {
      std::unique_lock l(m);
      for (long i = 0; i < n; i++) {
        cv[me].wait(l, [&] { return turn == me; });
        turn = 1 - me;
        cv[1 - me].notify_one();
      }
    };
    pin_self(0);
    std::thread other(play, 1);
    pin(other, cross ? 1 : 0);
    const uint64_t t0 = now_ns();
    play(0);
    const uint64_t t1 = now_ns();
    other.join();
    unpin_self();
    return double(t1 - t0) / double(2 * n);
  });
}

double pingpong_futex(const Opts& o, bool cross) {
  return median(o, [&] {
    const long n = 50000 / o.scale;
    std::atomic<int> turn{0};
    auto play = [&](int me) {
      for (long i = 0; i < n; i++) {
        int t;
        while ((t = turn.load(std::memory_order_acquire)) != me)
          futex(&turn, FUTEX_WAIT_PRIVATE, t);
        turn.store(1 - me, std::memory_order_release);
        futex(&turn, FUTEX_WAKE_PRIVATE, 1);
      }
    };
    pin_self(0);
    std::thread other(play, 1);
    pin(other, cross ? 1 : 0);
    const uint64_t t0 = now_ns();
    play(0);
    const uint64_t t1 = now_ns();
    other.join();
    unpin_self();
    return double(t1 - t0) / double(2 * n);
  });
}

Figure mem(long n) {
  Gate g;
  std::atomic<long> up{0};
  std::vector<std::thread> ts;
  ts.reserve(size_t(n));
  const double before = rss_kib();
  for (long i = 0; i < n; i++)
    ts.emplace_back([&] {
      up.fetch_add(1);
      g.wait();
    });
  while (up.load() < n) std::this_thread::yield();
  const double after = rss_kib();
  g.release();
  for (auto& t : ts) t.join();
  return {(after - before) / double(n), ""};
}

}  // namespace ktcmp::pthreads
