// Scheduling: priorities, round robin, stealing, binding, the big kernel
// lock, time sharing, preemption points.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "core/kernel.h"
#include "kt_test.h"

namespace kt::test {
namespace {

class Sched : public WithKernel {};
KT_INSTANTIATE_NCPU(Sched);

// On a busy vCPU, queued threads run most urgent first.
TEST_P(Sched, MoreUrgentRunsFirst) {
  std::vector<int> order;
  Mutex m;
  std::vector<Thread> ts;
  const int pris[] = {150, 40, 100, 60, 200};
  run_in_kthread(
      [&] {
        // This thread holds vCPU 0 while the others are started there.
        for (int p : pris) {
          ts.emplace_back(ThreadOptions{.priority = p, .cpu = 0, .start_idle = true}, [&, p] {
            std::unique_lock lk(m);
            order.push_back(p);
          });
        }
        for (auto& t : ts) t.start();
      },
      {.priority = 30, .cpu = 0});
  for (auto& t : ts) t.join();
  EXPECT_EQ(order, (std::vector<int>{40, 60, 100, 150, 200}));
}

// A host thread has no kernel thread to give the CPU away from: yielding or
// passing a preemption point there does nothing (and must not fault).
TEST_P(Sched, YieldAndPreemptFromAHostThreadAreNoOps) {
  kt_thread_yield();
  kt_preempt();
  std::atomic<bool> ran{false};
  Thread t([&] { ran = true; });
  t.join();
  EXPECT_TRUE(ran.load());
}

TEST_P(Sched, EqualsTakeTurnsThroughYield) {
  std::vector<int> trace;
  Mutex m;
  auto worker = [&](int id) {
    return [&, id] {
      for (int i = 0; i < 3; i++) {
        {
          std::unique_lock lk(m);
          trace.push_back(id);
        }
        kt_thread_yield();
      }
    };
  };
  std::vector<Thread> ts;
  run_in_kthread(
      [&] {
        ts.emplace_back(ThreadOptions{.cpu = 0, .start_idle = true}, worker(1));
        ts.emplace_back(ThreadOptions{.cpu = 0, .start_idle = true}, worker(2));
        for (auto& t : ts) t.start();
      },
      {.priority = 30, .cpu = 0});
  for (auto& t : ts) t.join();
  EXPECT_EQ(trace, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

TEST_P(Sched, IdleVcpusStealUnboundWork) {
  if (ncpu() < 2) GTEST_SKIP() << "needs two vCPUs";
  std::set<int> cpus;
  Mutex m;
  std::atomic<bool> stop{false};
  std::vector<Thread> ts;
  // All created from vCPU 0, so all start queued there.
  run_in_kthread(
      [&] {
        for (int i = 0; i < 8; i++)
          ts.emplace_back(ThreadOptions{}, [&] {
            while (!stop) {
              {
                std::unique_lock lk(m);
                cpus.insert(kt_thread_cpu(kt_thread_self()));
              }
              kt_preempt();
            }
          });
      },
      {.cpu = 0});
  EXPECT_TRUE(wait_until([&] {
    std::unique_lock lk(m);
    return cpus.size() > 1;
  }));
  stop = true;
  for (auto& t : ts) t.join();
}

// A thread queued behind one that never reaches a preemption point is run
// by another vCPU, which must be woken for it.
TEST_P(Sched, WorkQueuedBehindAHogIsStolen) {
  if (ncpu() < 2) GTEST_SKIP() << "needs two vCPUs";
  for (int round = 0; round < 20; round++) {
    std::atomic<bool> released{false}, hogging{false};
    Thread hog({.name = "hog"}, [&] {
      hogging = true;
      while (!released) asm volatile("pause");  // no preemption point at all
    });
    ASSERT_TRUE(wait_until([&] { return hogging.load(); }));
    // Let every other vCPU park (past its spin), so only a wakeup helps.
    ASSERT_TRUE(wait_until([&] { return kern()->nidle.load() == ncpu() - 1; }));
    // Some of these land on the hog's vCPU (placement is round robin).
    for (int i = 0; i < 4; i++) {
      std::atomic<bool> done{false};
      Thread t({.name = "queued"}, [&] { done = true; });
      const bool ran = wait_until([&] { return done.load(); });
      if (!ran) released = true;  // let the hog go so the test can end
      ASSERT_TRUE(ran) << "a thread queued behind a busy vCPU never ran (round " << round << ")";
      t.join();
    }
    released = true;
  }
}

TEST_P(Sched, BigLockSerialisesThreadsThatAreNotMpsafe) {
  std::atomic<int> inside{0}, overlap{0}, held{0};
  std::vector<Thread> ts;
  for (int i = 0; i < 6; i++)
    ts.emplace_back(ThreadOptions{.mpsafe = false}, [&] {
      for (int j = 0; j < 300; j++) {
        if (kt_biglock_held()) held++;
        if (inside.fetch_add(1) != 0) overlap++;
        for (int k = 0; k < 100; k++) asm volatile("");
        inside.fetch_sub(1);
        if (j % 10 == 0) kt_thread_yield();  // gives the lock up meanwhile
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(overlap.load(), 0);
  EXPECT_EQ(held.load(), 6 * 300);
  int mpsafe_held = -1;
  run_in_kthread([&] { mpsafe_held = kt_biglock_held(); });
  EXPECT_EQ(mpsafe_held, 0);
}

TEST_P(Sched, BigLockIsGivenUpWhileAsleep) {
  int chan = 0;
  std::atomic<bool> other_ran{false}, other_held{false};
  Thread sleeper({.mpsafe = false}, [&] { kt_sleep(&chan, "bl", 0, 0); });
  ASSERT_TRUE(wait_until([&] { return sleeper.state() == State::kSleeping; }));
  Thread other({.mpsafe = false}, [&] {
    other_held = kt_biglock_held();
    other_ran = true;
  });
  // It can take the lock: the sleeper does not hold it.
  const bool ran = wait_until([&] { return other_ran.load(); });
  kt_wakeup(&chan);
  EXPECT_TRUE(ran) << "a non-MPSAFE thread could not run while another slept";
  other.join();
  EXPECT_TRUE(other_held.load());
}

TEST_P(Sched, BigLockIsTakenAgainAfterTheSleep) {
  int chan = 0;
  std::atomic<int> held_after{-1};
  Thread sleeper({.mpsafe = false}, [&] {
    kt_sleep(&chan, "bl", 0, 0);
    held_after = kt_biglock_held();
  });
  ASSERT_TRUE(wait_until([&] { return sleeper.state() == State::kSleeping; }));
  kt_wakeup(&chan);
  sleeper.join();
  EXPECT_EQ(held_after.load(), 1);
}

// An MPSAFE thread that takes the big lock explicitly excludes the threads
// that run under it; the lock is recursive.
TEST_P(Sched, ExplicitBigLockExcludesThreadsThatAreNotMpsafe) {
  std::atomic<int> inside{0}, overlap{0};
  std::atomic<int> depth_ok{0};
  auto section = [&] {
    if (inside.fetch_add(1) != 0) overlap++;
    for (int k = 0; k < 200; k++) asm volatile("");
    inside.fetch_sub(1);
  };
  std::vector<Thread> ts;
  for (int i = 0; i < 3; i++)
    ts.emplace_back(ThreadOptions{.mpsafe = false}, [&] {
      for (int j = 0; j < 300; j++) {
        section();
        if (j % 10 == 0) kt_thread_yield();
      }
    });
  for (int i = 0; i < 3; i++)
    ts.emplace_back(ThreadOptions{.mpsafe = true}, [&] {
      for (int j = 0; j < 300; j++) {
        kt_biglock_enter();
        kt_biglock_enter();
        section();
        kt_biglock_exit();
        if (kt_biglock_held()) depth_ok++;  // still held once
        section();
        kt_biglock_exit();
        if (j % 10 == 0) kt_thread_yield();
      }
      if (!kt_biglock_held()) depth_ok++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(overlap.load(), 0);
  EXPECT_EQ(depth_ok.load(), 3 * 300 + 3);
}

// A thread that yields keeps the vCPU from less urgent threads.
TEST_P(Sched, YieldDoesNotGiveWayToALessUrgentThread) {
  std::atomic<bool> low_ran{false};
  bool ran_early = true;
  run_in_kthread(
      [&] {
        Thread low({.priority = 150, .cpu = 0}, [&] { low_ran = true; });
        for (int i = 0; i < 1000; i++) kt_thread_yield();
        ran_early = low_ran.load();
        low.join();  // blocks: now it runs
      },
      {.priority = 50, .cpu = 0});
  EXPECT_FALSE(ran_early);
  EXPECT_TRUE(low_ran.load());
}

// A thread may change only its own priority; making itself less urgent lets
// a queued thread pass it at the next yield.
TEST_P(Sched, LoweringItsOwnPriorityLetsAQueuedThreadPass) {
  std::atomic<bool> other_ran{false};
  bool before = true, after = false;
  int foreign = 0, bad = 0, mine = -1;
  run_in_kthread(
      [&] {
        Thread other({.priority = 100, .cpu = 0}, [&] { other_ran = true; });
        foreign = kt_thread_set_priority(other.id(), 10);
        bad = kt_thread_set_priority(kt_thread_self(), 256);
        kt_thread_yield();
        before = other_ran.load();
        ASSERT_EQ(kt_thread_set_priority(kt_thread_self(), 150), 0);
        mine = kt_thread_priority(kt_thread_self());
        kt_thread_yield();
        after = other_ran.load();
        other.join();
      },
      {.priority = 50, .cpu = 0});
  EXPECT_EQ(foreign, EPERM);
  EXPECT_EQ(bad, EINVAL);
  EXPECT_FALSE(before);
  EXPECT_EQ(mine, 150);
  EXPECT_TRUE(after);
}

// Bound threads stay on their vCPU even while idle vCPUs look for work to
// steal (unbound busy threads make them try).
TEST_P(Sched, BoundThreadsAreNeverStolen) {
  if (ncpu() < 2) GTEST_SKIP() << "needs two vCPUs";
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, rounds{0};
  std::vector<Thread> ts;
  run_in_kthread(
      [&] {
        for (unsigned cpu = 0; cpu < ncpu(); cpu++)
          for (int i = 0; i < 2; i++)
            ts.emplace_back(ThreadOptions{.name = "bound", .cpu = int(cpu)}, [&, cpu] {
              while (!stop) {
                if (kt_thread_cpu(kt_thread_self()) != int(cpu)) wrong++;
                rounds++;
                kt_thread_yield();
              }
            });
        for (int i = 0; i < 4; i++)
          ts.emplace_back(ThreadOptions{.name = "free"}, [&] {
            while (!stop) kt_preempt();
          });
      },
      {.cpu = 0});
  EXPECT_TRUE(wait_until([&] { return rounds.load() > 20000; }));
  stop = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(Sched, TimeSharingPriorityDecaysWithCpuUse) {
  int start = -1, later = -1;
  run_in_kthread(
      [&] {
        start = kt_thread_priority(kt_thread_self());
        const kt_tid_t me = kt_thread_self();
        // Burn slices until the priority has fallen (bounded).
        for (long i = 0; i < 2000000000L && kt_thread_priority(me) == start; i++) kt_preempt();
        later = kt_thread_priority(me);
      },
      {.sched = SchedClass::kTimeShare});
  EXPECT_EQ(start, KT_PRI_TIMESHARE);
  EXPECT_GT(later, start);  // a larger number is a worse priority
}

// spin() calls kt_preempt() until done holds or a generous limit passes
// (a guard against a hang, not a timing assertion); returns done().
template <typename Pred>
bool spin(Pred done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (unsigned i = 0; !done(); i++) {
    kt_preempt();
    if ((i & 1023) == 0 && std::chrono::steady_clock::now() > end) return done();
  }
  return true;
}

// A slice of one 1 ms tick.
class ShortSlice : public WithKernel {
  void config(kt_config& c) override {
    c.hz = 1000;
    c.slice_ticks = 1;
  }
};
INSTANTIATE_TEST_SUITE_P(Ncpu, ShortSlice, ::testing::Values(1u),
                         [](const auto& info) { return "ncpu" + std::to_string(info.param); });

TEST_P(ShortSlice, PreemptionPointLetsAnEqualRunAfterTheSlice) {
  std::atomic<bool> other_ran{false};
  bool saw = false;
  run_in_kthread(
      [&] {
        Thread other({.cpu = 0}, [&] { other_ran = true; });
        // A CPU-bound loop with a preemption point: the slice runs out and
        // the other thread of the same priority gets the vCPU.
        saw = spin([&] { return other_ran.load(); });
        other.join();
      },
      {.cpu = 0});
  EXPECT_TRUE(saw);
}

TEST_P(ShortSlice, CpuBoundEqualsTakeTurns) {
  std::atomic<int> last{-1};
  std::atomic<int> turns[3] = {};
  std::atomic<bool> stop{false};
  std::vector<Thread> ts;
  for (int i = 0; i < 3; i++)
    ts.emplace_back(ThreadOptions{.cpu = 0}, [&, i] {
      while (!stop) {
        if (last.exchange(i) != i) turns[i]++;  // someone else ran meanwhile
        if (turns[0] >= 3 && turns[1] >= 3 && turns[2] >= 3) stop = true;
        kt_preempt();
      }
    });
  const bool ok = wait_until([&] { return stop.load(); });
  stop = true;  // ends a thread that never gave the vCPU up
  for (auto& t : ts) t.join();
  EXPECT_TRUE(ok) << turns[0] << " " << turns[1] << " " << turns[2];
}

TEST_P(ShortSlice, TimeSharingPriorityFallsToTheEndOfItsBandAndNoFurther) {
  int start = -1, bottom = -1, later = -1;
  run_in_kthread(
      [&] {
        const kt_tid_t me = kt_thread_self();
        start = kt_thread_priority(me);
        spin([&] { return kt_thread_priority(me) >= 223; });
        bottom = kt_thread_priority(me);
        // Many more slices: it stays there.
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
        while (std::chrono::steady_clock::now() < end) kt_preempt();
        later = kt_thread_priority(me);
      },
      {.priority = 200, .sched = SchedClass::kTimeShare});
  EXPECT_EQ(start, 200);
  EXPECT_EQ(bottom, 223);
  EXPECT_EQ(later, 223);
}

TEST_P(ShortSlice, RoundRobinPriorityDoesNotDecay) {
  int start = -1, later = -1;
  run_in_kthread([&] {
    const kt_tid_t me = kt_thread_self();
    start = kt_thread_priority(me);
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
    while (std::chrono::steady_clock::now() < end) kt_preempt();
    later = kt_thread_priority(me);
  });
  EXPECT_EQ(start, KT_PRI_KERNEL);
  EXPECT_EQ(later, KT_PRI_KERNEL);
}

// A slice far longer than any test: only urgency switches.
class LongSlice : public WithKernel {
  void config(kt_config& c) override {
    c.hz = 10;
    c.slice_ticks = 100000;  // 10,000 s
  }
};
INSTANTIATE_TEST_SUITE_P(Ncpu, LongSlice, ::testing::Values(1u, 2u),
                         [](const auto& info) { return "ncpu" + std::to_string(info.param); });

TEST_P(LongSlice, MoreUrgentWakeupPreemptsAtTheNextPreemptionPoint) {
  int chan = 0;
  std::atomic<bool> urgent_ran{false}, spinning{false};
  bool saw = false;
  Thread urgent({.name = "urgent", .priority = 40, .cpu = 0}, [&] {
    kt_sleep(&chan, "urgent", 0, 0);
    urgent_ran = true;
  });
  ASSERT_TRUE(wait_until([&] { return urgent.state() == State::kSleeping; }));
  Thread spinner({.name = "spinner", .priority = 100, .cpu = 0}, [&] {
    spinning = true;
    saw = spin([&] { return urgent_ran.load(); });
  });
  ASSERT_TRUE(wait_until([&] { return spinning.load(); }));
  EXPECT_EQ(kt_wakeup(&chan), 1);  // from a host thread: the spinner is told
  spinner.join();
  urgent.join();
  EXPECT_TRUE(saw);
}

// Every kernel primitive is a preemption point: waking (or creating) a more
// urgent thread on one's own vCPU gives it the vCPU before the call returns.
TEST_P(LongSlice, WakingAMoreUrgentThreadSwitchesBeforeTheWakeupReturns) {
  int chan = 0;
  std::atomic<int> stage{0};
  bool ran_at_create = false, ran_at_wakeup = false;
  run_in_kthread(
      [&] {
        Thread urgent({.name = "urgent", .priority = 40, .cpu = 0}, [&] {
          stage = 1;
          // Bounded: should the creation not switch, the wakeup below is
          // lost, and the test fails instead of hanging.
          if (kt_sleep(&chan, "urgent", 0, 10000000000ull) == 0) stage = 2;
        });
        ran_at_create = stage.load() == 1;  // it ran, and is asleep
        kt_wakeup(&chan);
        ran_at_wakeup = stage.load() == 2;
        urgent.join();
      },
      {.priority = 100, .cpu = 0});
  EXPECT_TRUE(ran_at_create);
  EXPECT_TRUE(ran_at_wakeup);
}

TEST_P(LongSlice, AnEqualWaitsUntilTheSliceEndsOrAYield) {
  std::atomic<bool> other_ran{false};
  bool during = true, after_yield = false;
  run_in_kthread(
      [&] {
        Thread other({.cpu = 0}, [&] { other_ran = true; });
        for (int i = 0; i < 10000; i++) kt_preempt();
        during = other_ran.load();
        kt_thread_yield();
        after_yield = other_ran.load();
        other.join();
      },
      {.cpu = 0});
  EXPECT_FALSE(during);
  EXPECT_TRUE(after_yield);
}

// A thread made runnable on an idle vCPU asks that vCPU to reschedule (its
// priority beats the idle loop's); the dispatch that follows answers the
// request, so the thread's first preemption point must not give the CPU to
// an equal whose turn has not come.
TEST_P(LongSlice, AStaleReschedRequestDoesNotPreemptTheNextThread) {
  std::atomic<bool> other_ran{false};
  bool during = true;
  run_in_kthread(
      [&] {
        Thread other({.cpu = 0}, [&] { other_ran = true; });
        for (int i = 0; i < 10000; i++) kt_preempt();
        during = other_ran.load();
        other.join();
      },
      {.cpu = 0});
  EXPECT_FALSE(during);
}

}  // namespace
}  // namespace kt::test
