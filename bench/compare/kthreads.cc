// The kthreads side of kt_compare, through the C ABI (kt/c/*.h). Every
// timed loop runs inside a kernel thread, as an application's would; a
// thread that waits sleeps on a wait channel (never spins).
#include <sched.h>

#include <cerrno>
#include <cstdlib>

#include "../court.h"
#include "compare.h"
#include "kt/c/sleep.h"
#include "kt/c/sync.h"
#include "kt/c/thread.h"
#include "kt/kernel.h"

namespace ktcmp::kthreads {
namespace {

using ktbench::Court;

constexpr int kWarmup = 1000;

struct Boot {
  explicit Boot(unsigned ncpu, unsigned maxproc = 0) {
    kt_config c{};
    c.ncpu = ncpu;
    c.maxproc = maxproc;
    if (kt_boot(&c) != 0) abort();
  }
  ~Boot() { kt_shutdown(0); }
  Boot(const Boot&) = delete;
  Boot& operator=(const Boot&) = delete;
};

kt_thread_attr attr(unsigned flags, int cpu = -1) {
  kt_thread_attr a{};
  a.name = "cmp";
  a.pri = -1;
  a.cpu = cpu;
  a.flags = KT_MPSAFE | flags;
  return a;
}

// spawn_fn() starts a joinable kernel thread running f() (f must outlive it).
template <typename F>
kt_tid_t spawn_fn(F& f, int cpu = -1) {
  const kt_thread_attr a = attr(KT_JOINABLE, cpu);
  kt_tid_t t = 0;
  if (kt_thread_create(
          &a, [](void* p) { (*static_cast<F*>(p))(); }, &f, &t) != 0)
    abort();
  return t;
}

// in_kthread() runs f in a kernel thread and waits for it from the host.
template <typename F>
void in_kthread(F&& f, int cpu = -1) {
  if (kt_thread_join(spawn_fn(f, cpu), nullptr) != 0) abort();
}

void join(kt_tid_t t) {
  if (kt_thread_join(t, nullptr) != 0) abort();
}

// Gate: threads count themselves in, then sleep on it until it opens. The
// two-phase sleep tests `open` after queueing, so no wakeup is lost.
struct Gate {
  int open = 0;
  long arrived = 0;
  bool is_open() const { return __atomic_load_n(&open, __ATOMIC_ACQUIRE) != 0; }
  void wait() {
    __atomic_add_fetch(&arrived, 1, __ATOMIC_RELEASE);
    while (!is_open()) {
      kt_sleep_setup(this, "gate", 0);
      kt_sleep_finish(0, !is_open());
    }
  }
  long count() const { return __atomic_load_n(&arrived, __ATOMIC_ACQUIRE); }
  void release() {
    __atomic_store_n(&open, 1, __ATOMIC_RELEASE);
    kt_wakeup(this);
  }
};

void gate_wait(void* g) { static_cast<Gate*>(g)->wait(); }

// court_pingpong(): ns per one-way hand-off over n round trips, player 0 on
// cpu0 and player 1 on cpu1.
double court_pingpong(long n, int cpu0, int cpu1, bool two_phase = false) {
  Court c;
  c.two_phase = two_phase;
  uint64_t t0 = 0, t1 = 0;
  const long total = n + kWarmup;
  auto player1 = [&] {
    for (long i = 0; i < total; i++) {
      c.await(1);
      c.pass(1);
    }
  };
  auto player0 = [&] {
    const kt_tid_t p1 = spawn_fn(player1, cpu1);
    for (long i = 0; i < total; i++) {
      if (i == kWarmup) t0 = now_ns();
      c.pass(0);
      c.await(0);
    }
    t1 = now_ns();
    join(p1);
  };
  in_kthread(player0, cpu0);
  return double(t1 - t0) / double(2 * n);
}

void empty(void*) {}

const char* errname(int err) {
  switch (err) {
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case EINVAL:
      return "EINVAL";
    default:
      return "error";
  }
}

}  // namespace

double spawn(const Opts& o) {
  Boot k(1);
  return median(o, [&] {
    const long n = 500000 / o.scale;
    double r = 0;
    in_kthread([&] {
      const kt_thread_attr a = attr(KT_JOINABLE);
      uint64_t t0 = 0;
      for (long i = 0; i < n + kWarmup; i++) {
        if (i == kWarmup) t0 = now_ns();
        kt_tid_t t;
        if (kt_thread_create(&a, empty, nullptr, &t) != 0) abort();
        join(t);
      }
      r = double(now_ns() - t0) / double(n);
    });
    return r;
  });
}

// 10,000 threads created, all asleep on the gate, released, joined; one
// vCPU, so when the creator runs again after a yield every thread that
// counted itself in is asleep.
double spawn_batch(const Opts& o) {
  constexpr long n = 10000;
  Boot k(1, n + 100);
  return median(o, [&] {
    double r = 0;
    in_kthread([&] {
      Gate g;
      std::vector<kt_tid_t> ts(size_t(n), 0);
      const kt_thread_attr a = attr(KT_JOINABLE);
      const uint64_t t0 = now_ns();
      for (auto& t : ts)
        if (kt_thread_create(&a, gate_wait, &g, &t) != 0) abort();
      while (g.count() < n) kt_thread_yield();
      g.release();
      for (auto t : ts) join(t);
      r = double(now_ns() - t0) / double(n);
    });
    return r;
  });
}

double pingpong_same(const Opts& o) {
  Boot k(1);
  return median(o, [&] { return court_pingpong(2000000 / o.scale, 0, 0); });
}

double pingpong_same_two_phase(const Opts& o) {
  Boot k(1);
  return median(o, [&] { return court_pingpong(2000000 / o.scale, 0, 0, true); });
}

double pingpong_cross(const Opts& o) {
  Boot k(2);
  return median(o, [&] { return court_pingpong(200000 / o.scale, 0, 1); });
}

// The same ping-pong through one kt_mutex and a kt_cv per player.
double pingpong_same_cv(const Opts& o) {
  Boot k(1);
  return median(o, [&] {
    const long n = 1000000 / o.scale;
    const long total = n + kWarmup;
    kt_mutex m{};
    kt_cv cv[2]{};
    kt_mutex_init(&m, "cmp");
    kt_cv_init(&cv[0], "cv0");
    kt_cv_init(&cv[1], "cv1");
    int turn = 0;
    uint64_t t0 = 0, t1 = 0;
    auto play = [&](int me) {
      kt_mutex_lock(&m);
      for (long i = 0; i < total; i++) {
        if (me == 0 && i == kWarmup) t0 = now_ns();
        while (turn != me) kt_cv_wait(&cv[me], &m, 0, 0);
        turn = 1 - me;
        kt_cv_signal(&cv[1 - me]);
      }
      if (me == 0) {
        while (turn != me) kt_cv_wait(&cv[me], &m, 0, 0);  // the last return
        t1 = now_ns();
      }
      kt_mutex_unlock(&m);
    };
    in_kthread(
        [&] {
          auto other = [&] { play(1); };
          const kt_tid_t p1 = spawn_fn(other, 0);
          play(0);
          join(p1);
        },
        0);
    kt_cv_destroy(&cv[0]);
    kt_cv_destroy(&cv[1]);
    kt_mutex_destroy(&m);
    return double(t1 - t0) / double(2 * n);
  });
}

// n threads with the default stack, each asleep on the gate; the kernel is
// booted with maxproc above n. Creation stopping early (EAGAIN, ENOMEM) is
// reported with the count reached, over which the figure is taken.
MemFigure mem(long n) {
  Boot k(1, unsigned(n + 100));
  Gate g;
  std::vector<kt_tid_t> ts(size_t(n), 0);
  const kt_thread_attr a = attr(0);  // not joinable: each frees itself
  const double before = rss_kib();
  MemFigure f;
  for (; f.reached < n; f.reached++) {
    const int err = kt_thread_create(&a, gate_wait, &g, &ts[size_t(f.reached)]);
    if (err != 0) {
      f.error = errname(err);
      break;
    }
  }
  for (long i = 0; i < f.reached; i++)
    while (kt_thread_state(ts[size_t(i)]) != KT_SLEEPING) sched_yield();
  const double after = rss_kib();
  if (f.reached > 0) f.kib_per_thread = (after - before) / double(f.reached);
  g.release();
  for (long i = 0; i < f.reached; i++)
    while (kt_thread_pid(ts[size_t(i)]) != -1) sched_yield();
  return f;
}

// One spawner per vCPU, bound to it, creating and joining children bound to
// the same vCPU; all start together at the gate. Operations per second.
double spawn_throughput(const Opts& o, unsigned ncpu) {
  Boot k(ncpu);
  return [&] {
    const long per = 200000 / o.scale;
    Gate start;
    struct Spawner {
      Gate* start;
      long per;
      int cpu;
      kt_tid_t tid;
    };
    std::vector<Spawner> sp(ncpu);
    for (unsigned i = 0; i < ncpu; i++) {
      sp[i] = {&start, per, int(i), 0};
      const kt_thread_attr a = attr(KT_JOINABLE, int(i));
      auto body = [](void* p) {
        auto* s = static_cast<Spawner*>(p);
        const kt_thread_attr c = attr(KT_JOINABLE, s->cpu);
        for (int w = 0; w < kWarmup; w++) {
          kt_tid_t t;
          if (kt_thread_create(&c, empty, nullptr, &t) != 0) abort();
          join(t);
        }
        s->start->wait();
        for (long j = 0; j < s->per; j++) {
          kt_tid_t t;
          if (kt_thread_create(&c, empty, nullptr, &t) != 0) abort();
          join(t);
        }
      };
      if (kt_thread_create(&a, body, &sp[i], &sp[i].tid) != 0) abort();
    }
    for (auto& s : sp)
      while (kt_thread_state(s.tid) != KT_SLEEPING || start.count() < long(ncpu)) sched_yield();
    const uint64_t t0 = now_ns();
    start.release();
    for (auto& s : sp) join(s.tid);
    return double(per) * ncpu * 1e9 / double(now_ns() - t0);
  }();
}

}  // namespace ktcmp::kthreads
