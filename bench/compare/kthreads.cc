// The kthreads side of kt_compare, on the C API (kt/c/*.h).
#include <cerrno>
#include <cstdlib>

#include "compare.h"
#include "kt/c/sleep.h"
#include "kt/c/sync.h"
#include "kt/c/thread.h"
#include "kt/kernel.h"

namespace ktcmp::kthreads {
namespace {

struct Boot {
  explicit Boot(unsigned ncpu, unsigned maxproc = 0) {
    kt_config c{};
    c.ncpu = ncpu;
    c.maxproc = maxproc;
    if (kt_boot(&c) != 0) abort();
  }
  ~Boot() { kt_shutdown(0); }
};

kt_thread_attr attr(unsigned flags, int cpu = -1) {
  kt_thread_attr a{};
  a.name = "cmp";
  a.pri = -1;
  a.cpu = cpu;
  a.flags = KT_MPSAFE | flags;
  return a;
}

template <typename F>
kt_tid_t spawn_fn(F& f, int cpu = -1) {
  const kt_thread_attr a = attr(KT_JOINABLE, cpu);
  kt_tid_t t = 0;
  if (kt_thread_create(
          &a, [](void* p) { (*static_cast<F*>(p))(); }, &f, &t) != 0)
    abort();
  return t;
}

template <typename F>
void in_kthread(F&& f, int cpu = -1) {
  if (kt_thread_join(spawn_fn(f, cpu), nullptr) != 0) abort();
}

// Gate: threads sleep on it until it opens (two-phase sleep: no lost wakeup).
struct Gate {
  int open = 0;
  void wait() {
    while (!__atomic_load_n(&open, __ATOMIC_ACQUIRE)) {
      kt_sleep_setup(this, "gate", 0);
      kt_sleep_finish(0, !__atomic_load_n(&open, __ATOMIC_ACQUIRE));
    }
  }
  void release() {
    __atomic_store_n(&open, 1, __ATOMIC_RELEASE);
    kt_wakeup(this);
  }
};

// Court: two players, each sleeping on its own channel until its turn.
struct Court {
  alignas(64) int turn = 0;
  alignas(64) char chan[2][64] = {};
  void await(int me) {
    while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me) {
      kt_sleep_setup(chan[me], "court", 0);
      kt_sleep_finish(0, __atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me);
    }
  }
  void pass(int me) {
    __atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE);
    kt_wakeup(chan[1 - me]);
  }
};

double court_pingpong(long n, int cpu0, int cpu1) {
  Court c;
  uint64_t t0 = 0, t1 = 0;
  auto player1 = [&] {
    for (long i = 0; i < n; i++) {
      c.await(1);
      c.pass(1);
    }
  };
  auto player0 = [&] {
    kt_tid_t p1 = spawn_fn(player1, cpu1);
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
      c.pass(0);
      c.await(0);
    }
    t1 = now_ns();
    kt_thread_join(p1, nullptr);
  };
  in_kthread(player0, cpu0);
  return double(t1 - t0) / double(2 * n);
}

void empty(void*) {}

}  // namespace

double spawn(const Opts& o) {
  Boot k(1);
  return median(o, [&] {
    const long n = 500000 / o.scale;
    double r = 0;
    in_kthread([&] {
      const kt_thread_attr a = attr(KT_JOINABLE);
      const uint64_t t0 = now_ns();
      for (long i = 0; i < n; i++) {
        kt_tid_t t;
        if (kt_thread_create(&a, empty, nullptr, &t) != 0 || kt_thread_join(t, nullptr) != 0)
          abort();
      }
      r = double(now_ns() - t0) / double(n);
    });
    return r;
  });
}

double spawn_batch(const Opts& o) {
  Boot k(1, 20000);
  return median(o, [&] {
    const long n = 10000;
    double r = 0;
    in_kthread([&] {
      Gate g;
      std::vector<kt_tid_t> ts(static_cast<size_t>(n));
      const kt_thread_attr a = attr(KT_JOINABLE);
      const uint64_t t0 = now_ns();
      for (auto& t : ts)
        if (kt_thread_create(
                &a, [](void* p) { static_cast<Gate*>(p)->wait(); }, &g, &t) != 0)
          abort();
      kt_thread_yield();  // let them block
      g.release();
      for (auto t : ts) kt_thread_join(t, nullptr);
      r = double(now_ns() - t0) / double(n);
    });
    return r;
  });
}

double pingpong_same(const Opts& o) {
  Boot k(1);
  return median(o, [&] { return court_pingpong(2000000 / o.scale, 0, 0); });
}

double pingpong_cross(const Opts& o) {
  Boot k(2);
  return median(o, [&] { return court_pingpong(200000 / o.scale, 0, 1); });
}

double pingpong_same_cv(const Opts& o) {
  Boot k(1);
  return median(o, [&] {
    const long n = 1000000 / o.scale;
    kt_mutex m{};
    kt_cv cv[2]{};
    kt_mutex_init(&m, "cmp");
    kt_cv_init(&cv[0], "cv0");
    kt_cv_init(&cv[1], "cv1");
    int turn = 0;
    auto play = [&](int me) {
      kt_mutex_lock(&m);
      for (long i = 0; i < n; i++) {
        while (turn != me) kt_cv_wait(&cv[me], &m, 0, 0);
        turn = 1 - me;
        kt_cv_signal(&cv[1 - me]);
      }
      kt_mutex_unlock(&m);
    };
    uint64_t t0 = 0, t1 = 0;
    in_kthread([&] {
      auto other = [&] { play(1); };
      kt_tid_t p1 = spawn_fn(other);
      t0 = now_ns();
      play(0);
      t1 = now_ns();
      kt_thread_join(p1, nullptr);
    });
    return double(t1 - t0) / double(2 * n);
  });
}

Figure mem(long n) {
  Boot k(1, unsigned(n + 100));
  Gate g;
  std::vector<kt_tid_t> ts(static_cast<size_t>(n));
  const kt_thread_attr a = attr(KT_JOINABLE);
  const double before = rss_kib();
  long made = 0;
  int err = 0;
  for (; made < n; made++) {
    err = kt_thread_create(
        &a, [](void* p) { static_cast<Gate*>(p)->wait(); }, &g, &ts[size_t(made)]);
    if (err) break;
  }
  for (long i = 0; i < made; i++)
    while (kt_thread_state(ts[size_t(i)]) != KT_SLEEPING) usleep(100);
  const double after = rss_kib();
  g.release();
  for (long i = 0; i < made; i++) kt_thread_join(ts[size_t(i)], nullptr);
  if (made < n) return {-1, err == EAGAIN ? "creation failed: EAGAIN" : "creation failed"};
  return {(after - before) / double(n), ""};
}

double spawn_throughput(const Opts& o, unsigned ncpu) {
  Boot k(ncpu);
  return median(o, [&] {
    const long per = 200000 / o.scale;
    std::vector<kt_tid_t> spawners(ncpu);
    Gate start;
    auto work = [&start, per](int cpu) {
      start.wait();
      const kt_thread_attr a = attr(KT_JOINABLE, cpu);
      for (long i = 0; i < per; i++) {
        kt_tid_t t;
        if (kt_thread_create(&a, empty, nullptr, &t) != 0 || kt_thread_join(t, nullptr) != 0)
          abort();
      }
    };
    struct Arg {
      decltype(work)* w;
      int cpu;
    };
    std::vector<Arg> args(ncpu);
    for (unsigned i = 0; i < ncpu; i++) {
      args[i] = {&work, int(i)};
      const kt_thread_attr a = attr(KT_JOINABLE, int(i));
      if (kt_thread_create(
              &a, [](void* p) { (*static_cast<Arg*>(p)->w)(static_cast<Arg*>(p)->cpu); }, &args[i],
              &spawners[i]) != 0)
        abort();
    }
    for (auto t : spawners)
      while (kt_thread_state(t) != KT_SLEEPING) usleep(100);
    const uint64_t t0 = now_ns();
    start.release();
    for (auto t : spawners) kt_thread_join(t, nullptr);
    return double(per) * ncpu * 1e9 / double(now_ns() - t0);
  });
}

}  // namespace ktcmp::kthreads
