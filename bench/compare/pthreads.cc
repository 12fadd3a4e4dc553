// The POSIX threads side of kt_compare: std::thread with std::mutex and
// std::condition_variable, and a ping-pong on a raw futex. Same-CPU cases
// pin both threads to host CPU 0, cross-CPU cases to CPUs 0 and 1.
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include "compare.h"

namespace ktcmp::pthreads {
namespace {

void pin(pthread_t t, int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(t, sizeof s, &s);
}

// Pinned pins the calling thread to one CPU for its lifetime, then restores
// the affinity it had.
class Pinned {
 public:
  explicit Pinned(int cpu) {
    pthread_getaffinity_np(pthread_self(), sizeof old_, &old_);
    pin(pthread_self(), cpu);
  }
  ~Pinned() { pthread_setaffinity_np(pthread_self(), sizeof old_, &old_); }
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;

 private:
  cpu_set_t old_;
};

// Gate: threads count themselves in under the mutex and wait on the
// condition variable until it opens; arrived == n means all are waiting.
struct Gate {
  std::mutex m;
  std::condition_variable cv, all_in;
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

long futex(std::atomic<int>* w, int op, int v) {
  return syscall(SYS_futex, reinterpret_cast<int*>(w), op, v, nullptr, nullptr, 0);
}

// run_pair() runs play(0) on the calling thread and play(1) on another,
// pinned to CPU 0 and to CPU 0 or 1; ns per one-way hand-off over n round
// trips (play does the timing through t0/t1 of player 0).
template <typename Play>
double run_pair(long n, bool cross, Play&& play) {
  Pinned here(0);
  std::thread other([&] { play(1); });
  pin(other.native_handle(), cross ? 1 : 0);
  const uint64_t t0 = now_ns();
  play(0);
  const uint64_t t1 = now_ns();
  other.join();
  return double(t1 - t0) / double(2 * n);
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
    g.await_all(n);
    g.release();
    for (auto& t : ts) t.join();
    return double(now_ns() - t0) / double(n);
  });
}

// One mutex, a condition variable per player, `turn` says who plays.
double pingpong_cv(const Opts& o, bool cross) {
  return median(o, [&] {
    const long n = 50000 / o.scale;
    std::mutex m;
    std::condition_variable cv[2];
    int turn = 0;
    return run_pair(n, cross, [&](int me) {
      std::unique_lock l(m);
      for (long i = 0; i < n; i++) {
        cv[me].wait(l, [&] { return turn == me; });
        turn = 1 - me;
        cv[1 - me].notify_one();
      }
      if (me == 0) cv[0].wait(l, [&] { return turn == 0; });
    });
  });
}

// One futex word holding whose turn it is: wait while it is the other's,
// store the other's number and wake.
double pingpong_futex(const Opts& o, bool cross) {
  return median(o, [&] {
    const long n = 50000 / o.scale;
    std::atomic<int> turn{0};
    auto await = [&](int me) {
      int t;
      while ((t = turn.load(std::memory_order_acquire)) != me) futex(&turn, FUTEX_WAIT_PRIVATE, t);
    };
    return run_pair(n, cross, [&](int me) {
      for (long i = 0; i < n; i++) {
        await(me);
        turn.store(1 - me, std::memory_order_release);
        futex(&turn, FUTEX_WAKE_PRIVATE, 1);
      }
      if (me == 0) await(0);
    });
  });
}

// n threads with the default stack (8 MiB reserved, touched as used), each
// waiting on the gate.
MemFigure mem(long n) {
  Gate g;
  std::vector<std::thread> ts;
  ts.reserve(size_t(n));
  MemFigure f;
  const double before = rss_kib();
  try {
    for (; f.reached < n; f.reached++) ts.emplace_back([&] { g.wait(); });
  } catch (const std::system_error& e) {
    f.error = e.code().value() == EAGAIN ? "EAGAIN" : "error";
  }
  g.await_all(f.reached);
  const double after = rss_kib();
  if (f.reached > 0) f.kib_per_thread = (after - before) / double(f.reached);
  g.release();
  for (auto& t : ts) t.join();
  return f;
}

}  // namespace ktcmp::pthreads
