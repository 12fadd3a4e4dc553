// Scheduling: priorities, round robin, stealing, binding, the big kernel
// lock, time sharing, preemption points.
#include <set>
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
  std::atomic<bool> other_ran{false};
  Thread sleeper({.mpsafe = false}, [&] { kt_sleep(&chan, "bl", 0, 0); });
  ASSERT_TRUE(wait_until([&] { return sleeper.state() == State::kSleeping; }));
  Thread other({.mpsafe = false}, [&] { other_ran = true; });
  other.join();  // it could take the lock: the sleeper does not hold it
  EXPECT_TRUE(other_ran.load());
  kt_wakeup(&chan);
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

TEST_P(Sched, PreemptionPointLetsAnEqualRunAfterTheSlice) {
  std::atomic<bool> other_ran{false};
  std::atomic<bool> spinning{false};
  run_in_kthread(
      [&] {
        Thread other({.cpu = 0}, [&] { other_ran = true; });
        spinning = true;
        // A CPU-bound loop with a preemption point: the slice runs out and
        // the other thread of the same priority gets the vCPU.
        while (!other_ran) kt_preempt();
        other.join();
      },
      {.cpu = 0});
  EXPECT_TRUE(other_ran.load());
}

}  // namespace
}  // namespace kt::test
