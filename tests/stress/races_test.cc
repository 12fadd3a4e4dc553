// Races the real kernels guard against, provoked: many iterations, more
// vCPUs than host cores. Sanitizer builds run fewer iterations.
#include <cerrno>
#include <cstdio>
#include <random>
#include <vector>

#include "core/thread.h"
#include "kt/c/startup.h"
#include "unit/kt_test.h"

namespace kt::test {
namespace {

#if defined(KT_SANITIZE_ADDRESS) || defined(KT_SANITIZE_THREAD)
constexpr int kScale = 10;
#else
constexpr int kScale = 1;
#endif

class Races : public WithKernel {};
INSTANTIATE_TEST_SUITE_P(Ncpu, Races, ::testing::Values(2u, 4u, 8u),
                         [](const auto& info) { return "ncpu" + std::to_string(info.param); });

// R4: wakeup vs sleep. A producer and a consumer on different vCPUs hand
// over tokens through a two-phase sleep; a lost wakeup hangs (caught by the
// bounded wait below).
TEST_P(Races, NoWakeupIsLost) {
  const long n = 200000 / kScale;
  long produced = 0, consumed = 0;  // each written by one side only
  long avail = 0;                   // atomic builtins below
  Thread consumer({.name = "consumer", .cpu = 1 % int(ncpu())}, [&] {
    while (consumed < n) {
      kt_sleep_setup(&avail, "avail", 0);
      if (__atomic_load_n(&avail, __ATOMIC_ACQUIRE) == 0) {
        kt_sleep_finish(0, 1);
        continue;
      }
      kt_sleep_finish(0, 0);
      __atomic_fetch_sub(&avail, 1, __ATOMIC_ACQ_REL);
      consumed++;
    }
  });
  Thread producer({.name = "producer", .cpu = 0}, [&] {
    for (; produced < n; produced++) {
      __atomic_fetch_add(&avail, 1, __ATOMIC_ACQ_REL);
      kt_wakeup(&avail);
      if (produced % 128 == 0) kt_thread_yield();
    }
  });
  producer.join();
  ASSERT_TRUE(wait_until([&] {
    return consumer.state() == State::kZombie || consumer.state() == State::kSleeping ||
           consumer.state() == State::kRunning;
  }));
  consumer.join();
  EXPECT_EQ(consumed, n);
}

// R5: join vs exit, from kernel threads and from host threads, with the
// thread exiting at once (join may come before or after the exit).
TEST_P(Races, JoinRacesExit) {
  const int n = 20000 / kScale;
  std::atomic<int> codes{0};
  run_in_kthread([&] {
    for (int i = 0; i < n; i++) {
      Thread t({.name = "quick"}, [i] { this_thread::exit(i & 7); });
      codes += t.join();
    }
  });
  for (int i = 0; i < n; i++) {
    Thread t({.name = "quick"}, [i] { this_thread::exit(i & 7); });
    codes += t.join();
  }
  long expect = 0;
  for (int i = 0; i < n; i++) expect += 2 * (i & 7);
  EXPECT_EQ(codes.load(), expect);
}

// An exiting thread wakes its joiner before it leaves its stack; a joiner on
// another vCPU then runs while the exit is still under way, and must find no
// zombie yet, sleep again, and be woken by the reap. Joiner on vCPU 0, the
// threads it joins on vCPU 1, each spinning a little so that join comes
// before, during and after the exit.
TEST_P(Races, JoinerOnAnotherVcpuRacesTheReap) {
  const int n = 20000 / kScale;
  long sum = 0;
  Thread joiner({.name = "joiner", .cpu = 0}, [&] {
    for (int i = 0; i < n; i++) {
      Thread t({.name = "exiter", .cpu = 1}, [i] {
        for (int s = i % 97; s > 0; s--) __builtin_ia32_pause();
        this_thread::exit(i & 15);
      });
      for (int s = (i * 7) % 89; s > 0; s--) __builtin_ia32_pause();
      sum += t.join();
    }
  });
  joiner.join();
  long expect = 0;
  for (int i = 0; i < n; i++) expect += i & 15;
  EXPECT_EQ(sum, expect);
}

// Create vs maxproc: creators on every vCPU race to the limit. Exactly
// maxproc threads live at the peak, every other attempt is EAGAIN, nothing
// leaks.
TEST_P(Races, CreateRacesMaxproc) {
  kt_shutdown(0);
  kt_config c{};
  c.ncpu = ncpu();
  c.maxproc = 64;
  ASSERT_EQ(kt_boot(&c), 0);
  for (int round = 0; round < 20 / kScale + 1; round++) {
    std::atomic<int> made{0}, refused{0};
    std::atomic<bool> release{false};
    std::vector<kt_tid_t> all(64 * 4, 0);
    std::vector<Thread> creators;
    const int ncreators = 4;
    // The creators themselves take slots: each tries 64.
    // Created idle, then started together: all four exist before any fills.
    for (int cr = 0; cr < ncreators; cr++)
      creators.emplace_back(ThreadOptions{.name = "creator", .start_idle = true}, [&, cr] {
        kt_thread_attr a{};
        a.name = "filler";
        a.pri = -1;
        a.cpu = -1;
        a.flags = KT_MPSAFE | KT_JOINABLE;
        for (int i = 0; i < 64; i++) {
          kt_tid_t t = 0;
          const int rc = kt_thread_create(
              &a,
              [](void* p) {
                while (!static_cast<std::atomic<bool>*>(p)->load()) kt_thread_yield();
              },
              &release, &t);
          if (rc == 0) {
            all[size_t(cr * 64 + i)] = t;
            made++;
          } else {
            EXPECT_EQ(rc, EAGAIN);
            refused++;
          }
        }
      });
    for (auto& cr : creators) cr.start();
    ASSERT_TRUE(wait_until([&] { return made + refused == ncreators * 64; }));
    EXPECT_EQ(made.load(), 64 - ncreators);  // the creators hold the rest
    EXPECT_EQ(proctab::nprocs(), 64u);
    release = true;
    for (auto& cr : creators) cr.join();
    for (kt_tid_t t : all)
      if (t) EXPECT_EQ(kt_thread_join(t, nullptr), 0);
    EXPECT_EQ(proctab::nprocs(), 0u);
  }
}

// R11: stale handles. Handles of threads exiting concurrently are used from
// several vCPUs; every call returns an error (ESRCH, or EINVAL for a join of
// a detached thread) or succeeds on the live thread, never crashes.
TEST_P(Races, StaleHandlesNeverCrash) {
  std::mt19937 rng(12345);
  printf("seed 12345\n");
  const int n = 5000 / kScale;
  std::vector<kt_tid_t> handles(size_t(n), 0);
  std::atomic<int> created{0};
  Thread maker([&] {
    kt_thread_attr a{};
    a.name = "ephemeral";
    a.pri = -1;
    a.cpu = -1;
    a.flags = KT_MPSAFE;
    for (int i = 0; i < n; i++) {
      kt_tid_t t = 0;
      if (kt_thread_create(
              &a, [](void*) {}, nullptr, &t) == 0) {
        __atomic_store_n(&handles[size_t(i)], t, __ATOMIC_RELEASE);
        created++;
      }
    }
  });
  std::vector<Thread> pokers;
  for (int p = 0; p < 3; p++)
    pokers.emplace_back(ThreadOptions{.name = "poker"}, [&, p] {
      std::mt19937 r(unsigned(12345 + p));
      for (int k = 0; k < n * 4; k++) {
        const kt_tid_t t = __atomic_load_n(&handles[r() % size_t(n)], __ATOMIC_ACQUIRE);
        if (!t) continue;
        const int j = kt_thread_join(t, nullptr);
        EXPECT_TRUE(j == ESRCH || j == EINVAL) << j;
        const int s = kt_thread_start(t);
        EXPECT_TRUE(s == ESRCH) << s;
        kt_thread_pid(t);
        kt_interrupt(t);
        kt_note_count(t);
      }
    });
  maker.join();
  for (auto& p : pokers) p.join();
  EXPECT_EQ(created.load(), n);
}

// R7/R9: interrupts racing wakeups and timeouts. Every sleep ends exactly
// once, with one of the three results, and nothing is left queued.
TEST_P(Races, InterruptRacesWakeupAndTimeout) {
  const int n = 20000 / kScale;
  int chan = 0;
  std::atomic<int> results[3] = {};
  std::atomic<bool> done{false};
  Thread sleeper({.name = "sleeper", .cpu = 0}, [&] {
    for (int i = 0; i < n; i++) {
      const int rc = kt_sleep(&chan, "race", KT_SLEEP_INTR, 200000);  // 200 us
      results[rc == 0 ? 0 : rc == EINTR ? 1 : 2]++;
    }
    done = true;
  });
  Thread waker({.name = "waker", .cpu = 1 % int(ncpu())}, [&] {
    while (!done) {
      kt_wakeup(&chan);
      kt_thread_yield();
    }
  });
  Thread interrupter({.name = "interrupter", .cpu = 2 % int(ncpu())}, [&] {
    while (!done) {
      kt_interrupt(sleeper.id());
      kt_thread_yield();
    }
  });
  sleeper.join();
  waker.join();
  interrupter.join();
  EXPECT_EQ(results[0] + results[1] + results[2], n);
  EXPECT_FALSE(kt_wakeup(&chan));
}

// Suspend racing resume (R3): suspenders, a resumer and a checking target.
TEST_P(Races, SuspendRacesResume) {
  const int n = 2000 / kScale;
  std::atomic<bool> stop{false};
  Thread target({.name = "target"}, [&] {
    while (!stop) {
      kt_suspend_check(kt_thread_self());
      kt_thread_yield();
    }
  });
  Thread resumer({.name = "resumer"}, [&] {
    while (!stop) {
      kt_resume(target.id());
      kt_thread_yield();
    }
  });
  std::atomic<int> ok{0}, timed_out{0};
  run_in_kthread([&] {
    for (int i = 0; i < n; i++) {
      const int rc = kt_suspend(target.id(), 1000000);
      (rc == 0 ? ok : timed_out)++;
      EXPECT_TRUE(rc == 0 || rc == EWOULDBLOCK) << rc;
    }
  });
  stop = true;
  kt_resume(target.id());
  target.join();
  resumer.join();
  EXPECT_EQ(ok + timed_out, n);
}

}  // namespace
}  // namespace kt::test

namespace kt::test {
namespace {

// Shutdown racing suspension: a shutdown handler suspends a thread (as
// kproc_shutdown does) while another suspends and resumes it. Every
// shutdown finishes, and leaves nothing allocated.
TEST(ShutdownRaces, ShutdownRacesSuspension) {
  for (int round = 0; round < 40 / kScale + 2; round++) {
    // The report of what shutdown left goes to a buffer, not the test log.
    char* buf = nullptr;
    size_t len = 0;
    FILE* console = open_memstream(&buf, &len);
    kt_config c{};
    c.ncpu = 4;
    c.console = console;
    ASSERT_EQ(kt_boot(&c), 0);
    static kt_tid_t target;
    static std::atomic<bool> stop;
    stop = false;
    Thread t({.name = "target", .joinable = false}, [] {
      for (;;) {
        kt_suspend_check(kt_thread_self());
        kt_thread_yield();
      }
    });
    target = t.id();
    Thread churn({.name = "churn", .joinable = false}, [] {
      while (!stop) {
        kt_suspend(target, 100000);
        kt_resume(target);
      }
    });
    kt_shutdown_register(
        KT_SHUTDOWN_PRE_SYNC,
        [](void*, int) {
          stop = true;
          const int rc = kt_suspend(target, 50000000);  // bounded, like kproc_shutdown
          EXPECT_TRUE(rc == 0 || rc == EWOULDBLOCK || rc == ESRCH) << rc;
        },
        nullptr, 20000);
    kt_shutdown(0);
    fclose(console);
    EXPECT_NE(std::string(buf, len).find("'target'"), std::string::npos);  // reported left
    free(buf);
    EXPECT_EQ(proctab::nprocs(), 0u);
  }
}

}  // namespace
}  // namespace kt::test
