// Wait channels: sleep, wakeup, wakeup_one, timeouts, two-phase sleeps,
// interruptible sleeps.
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

class Sleepq : public WithKernel {};
KT_INSTANTIATE_NCPU(Sleepq);

bool asleep(const Thread& t) { return t.state() == State::kSleeping; }

std::string wmesg_of(const Thread& t) {
  for (const ProcInfo& p : ps())
    if (p.id == t.id()) return p.wmesg;
  return "";
}

TEST_P(Sleepq, WakeupWakesEverySleeperOnTheChannel) {
  int chan = 0;
  std::atomic<int> woke{0};
  std::vector<Thread> ts;
  for (int i = 0; i < 5; i++)
    ts.emplace_back(ThreadOptions{}, [&] {
      if (kt_sleep(&chan, "all", 0, 0) == 0) woke++;
    });
  for (auto& t : ts) ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  EXPECT_EQ(kt_wakeup(&chan), 5);
  for (auto& t : ts) t.join();
  EXPECT_EQ(woke.load(), 5);
}

TEST_P(Sleepq, WakeupOnAnotherChannelWakesNobody) {
  int chan = 0, other = 0;
  Thread t([&] { kt_sleep(&chan, "mine", 0, 0); });
  ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  EXPECT_EQ(kt_wakeup(&other), 0);
  EXPECT_EQ(t.state(), State::kSleeping);
  EXPECT_EQ(kt_wakeup(&chan), 1);
}

TEST_P(Sleepq, WakeupOneTakesTheMostUrgentThenTheOldest) {
  int chan = 0;
  std::vector<int> order;
  kt::Mutex m;
  auto sleeper = [&](int tag) {
    return [&, tag] {
      kt_sleep(&chan, "one", 0, 0);
      std::unique_lock lk(m);
      order.push_back(tag);
    };
  };
  // Sleep in this order: low (tag 1), urgent (2), low (3), urgent (4).
  std::vector<Thread> ts;
  const int pris[] = {120, 60, 120, 60};
  for (int i = 0; i < 4; i++) {
    ts.emplace_back(ThreadOptions{.priority = pris[i]}, sleeper(i + 1));
    ASSERT_TRUE(wait_until([&] { return asleep(ts.back()); }));
  }
  for (int i = 0; i < 4; i++) {
    const size_t before = order.size();
    EXPECT_EQ(kt_wakeup_one(&chan), 1);
    ASSERT_TRUE(wait_until([&] {
      std::unique_lock lk(m);
      return order.size() == before + 1;
    }));
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(order, (std::vector<int>{2, 4, 1, 3}));
  EXPECT_EQ(kt_wakeup_one(&chan), 0);
}

TEST_P(Sleepq, WakeupsAreNotRemembered) {
  int chan = 0;
  EXPECT_EQ(kt_wakeup(&chan), 0);
  int rc = -1;
  run_in_kthread([&] { rc = kt_sleep(&chan, "late", 0, 2000000); });
  EXPECT_EQ(rc, EWOULDBLOCK);  // the early wakeup did not count
}

TEST_P(Sleepq, TimeoutReturnsEwouldblockNotEarly) {
  int chan = 0, rc = -1;
  std::chrono::nanoseconds slept{};
  run_in_kthread([&] {
    const auto t0 = std::chrono::steady_clock::now();
    rc = kt_sleep(&chan, "timo", 0, 20000000);  // 20 ms
    slept = std::chrono::steady_clock::now() - t0;
  });
  EXPECT_EQ(rc, EWOULDBLOCK);
  EXPECT_GE(slept, std::chrono::milliseconds(20));
}

TEST_P(Sleepq, TimedOutSleeperHasLeftTheQueue) {
  int chan = 0, rc = -1, woken = -1;
  run_in_kthread([&] {
    rc = kt_sleep(&chan, "timo", 0, 1000000);
    woken = kt_wakeup(&chan);
  });
  EXPECT_EQ(rc, EWOULDBLOCK);
  EXPECT_EQ(woken, 0);
}

TEST_P(Sleepq, WakeupFromAnotherKernelThreadOnAnotherVcpu) {
  int chan = 0;
  std::atomic<int> rc{-1};
  Thread sleeper({.cpu = 0}, [&] { rc = kt_sleep(&chan, "xcpu", 0, 0); });
  ASSERT_TRUE(wait_until([&] { return asleep(sleeper); }));
  int woken = -1;
  run_in_kthread([&] { woken = kt_wakeup(&chan); }, {.cpu = int(ncpu()) - 1});
  sleeper.join();
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(rc.load(), 0);
}

TEST_P(Sleepq, WakeupBeforeTheTimeoutReturnsZero) {
  int chan = 0;
  std::atomic<int> rc{-1};
  Thread t([&] { rc = kt_sleep(&chan, "timo", 0, 30000000000ull); });  // 30 s
  ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  kt_wakeup(&chan);
  t.join();
  EXPECT_EQ(rc.load(), 0);
}

TEST_P(Sleepq, TwoPhaseSleepKeepsAWakeupBetweenThePhases) {
  int chan = 0, rc = -1;
  run_in_kthread([&] {
    kt_sleep_setup(&chan, "2phase", 0);
    kt_wakeup(&chan);  // arrives between setup and finish
    rc = kt_sleep_finish(0, 1);
  });
  EXPECT_EQ(rc, 0);
}

TEST_P(Sleepq, TwoPhaseSleepKeepsAWakeupFromAnotherVcpu) {
  int chan = 0;
  std::atomic<bool> queued{false}, woken{false};
  std::atomic<int> rc{-1};
  Thread t({.cpu = 0}, [&] {
    kt_sleep_setup(&chan, "2phase", 0);
    queued = true;
    // The host thread's wakeup lands here, before we block.
    while (!woken) asm volatile("pause");
    rc = kt_sleep_finish(30000000000ull, 1);
  });
  ASSERT_TRUE(wait_until([&] { return queued.load(); }));
  EXPECT_EQ(kt_wakeup(&chan), 1);
  woken = true;
  t.join();
  EXPECT_EQ(rc.load(), 0);
}

TEST_P(Sleepq, TwoPhaseSleepTimesOut) {
  int chan = 0, rc = -1;
  std::chrono::nanoseconds slept{};
  run_in_kthread([&] {
    const auto t0 = std::chrono::steady_clock::now();
    kt_sleep_setup(&chan, "2phase", 0);
    rc = kt_sleep_finish(20000000, 1);  // 20 ms
    slept = std::chrono::steady_clock::now() - t0;
  });
  EXPECT_EQ(rc, EWOULDBLOCK);
  EXPECT_GE(slept, std::chrono::milliseconds(20));
}

TEST_P(Sleepq, TwoPhaseSleepWithoutSleepingLeavesTheQueue) {
  int chan = 0, rc = -1, woken = -1;
  run_in_kthread([&] {
    kt_sleep_setup(&chan, "2phase", 0);
    rc = kt_sleep_finish(0, 0);
    woken = kt_wakeup(&chan);
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(woken, 0);
}

TEST_P(Sleepq, InterruptEndsAnInterruptibleSleep) {
  int chan = 0;
  std::atomic<int> rc{-1};
  Thread t([&] { rc = kt_sleep(&chan, "intr", KT_SLEEP_INTR, 0); });
  ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  EXPECT_EQ(kt_interrupt(t.id()), 0);
  t.join();
  EXPECT_EQ(rc.load(), EINTR);
}

TEST_P(Sleepq, InterruptBeforeTheSleepEndsItAtOnce) {
  int chan = 0, rc = -1;
  run_in_kthread([&] {
    kt_interrupt(kt_thread_self());
    rc = kt_sleep(&chan, "intr", KT_SLEEP_INTR, 0);
  });
  EXPECT_EQ(rc, EINTR);
}

TEST_P(Sleepq, UninterruptibleSleepKeepsTheInterruptPending) {
  int chan = 0, other = 0;
  std::atomic<int> first{-1}, second{-1};
  Thread t([&] {
    first = kt_sleep(&chan, "deaf", 0, 0);
    // A different channel, and a timeout, so a lost mark fails instead of hanging.
    second = kt_sleep(&other, "next", KT_SLEEP_INTR, 30000000000ull);
  });
  ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  EXPECT_EQ(kt_interrupt(t.id()), 0);
  // The interrupt left the uninterruptible sleeper where it was: this wakeup
  // still finds it on the channel.
  EXPECT_EQ(kt_wakeup(&chan), 1);
  t.join();
  EXPECT_EQ(first.load(), 0);
  EXPECT_EQ(second.load(), EINTR);
  EXPECT_EQ(kt_interrupt(t.id()), ESRCH);
}

TEST_P(Sleepq, PendingInterruptSurvivesATimeoutAndIsConsumedOnce) {
  int chan = 0;
  int deaf = -1, first = -1, second = -1;
  run_in_kthread([&] {
    kt_interrupt(kt_thread_self());
    deaf = kt_sleep(&chan, "deaf", 0, 1000000);  // 1 ms, not interruptible
    first = kt_sleep(&chan, "intr", KT_SLEEP_INTR, 30000000000ull);
    second = kt_sleep(&chan, "intr", KT_SLEEP_INTR, 1000000);
  });
  EXPECT_EQ(deaf, EWOULDBLOCK);
  EXPECT_EQ(first, EINTR);
  EXPECT_EQ(second, EWOULDBLOCK);  // the mark was used up by the first
}

TEST_P(Sleepq, InterruptibleSleepWithATimeoutIsInterrupted) {
  int chan = 0;
  std::atomic<int> rc{-1};
  Thread t([&] { rc = kt_sleep(&chan, "intr", KT_SLEEP_INTR, 30000000000ull); });
  ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  EXPECT_EQ(kt_interrupt(t.id()), 0);
  t.join();
  EXPECT_EQ(rc.load(), EINTR);
  EXPECT_EQ(kt_wakeup(&chan), 0);  // and it left the queue
}

TEST_P(Sleepq, InterruptBetweenThePhasesIsNotLost) {
  int chan = 0, rc = -1;
  run_in_kthread([&] {
    kt_sleep_setup(&chan, "2phase", KT_SLEEP_INTR);
    kt_interrupt(kt_thread_self());
    rc = kt_sleep_finish(30000000000ull, 1);
  });
  EXPECT_EQ(rc, EINTR);
}

int flag_set(void* p) { return __atomic_load_n(static_cast<int*>(p), __ATOMIC_ACQUIRE); }

TEST_P(Sleepq, SleepUnlessReturnsAtOnceWhenDoneHolds) {
  int chan = 0, flag = 1, rc = -1;
  // A timeout that would expire if it slept: 0 means it never did.
  run_in_kthread([&] { rc = kt_sleep_unless(&chan, "unless", 0, 1000000, flag_set, &flag); });
  EXPECT_EQ(rc, 0);
}

TEST_P(Sleepq, SleepUnlessSleepsUntilWokenOrTimedOutOrInterrupted) {
  int chan = 0, flag = 0;
  std::atomic<int> rc{-1};
  Thread t([&] { rc = kt_sleep_unless(&chan, "unless", 0, 0, flag_set, &flag); });
  ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  EXPECT_EQ(wmesg_of(t), "unless");
  __atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
  EXPECT_EQ(kt_wakeup(&chan), 1);
  t.join();
  EXPECT_EQ(rc.load(), 0);

  flag = 0;
  run_in_kthread([&] { rc = kt_sleep_unless(&chan, "unless", 0, 2000000, flag_set, &flag); });
  EXPECT_EQ(rc.load(), EWOULDBLOCK);

  Thread u([&] { rc = kt_sleep_unless(&chan, "unless", KT_SLEEP_INTR, 0, flag_set, &flag); });
  ASSERT_TRUE(wait_until([&] { return asleep(u); }));
  EXPECT_EQ(kt_interrupt(u.id()), 0);
  u.join();
  EXPECT_EQ(rc.load(), EINTR);
}

// R4 for the one-lock sleep: a waker on another vCPU sets the flag and
// wakes at every moment of the sleeper's test; a lost wakeup hangs (caught
// by the bounded wait).
TEST_P(Sleepq, SleepUnlessNeverLosesAWakeup) {
  const int n = 20000;
  int token = 0;
  std::atomic<int> consumed{0};
  Thread consumer({.cpu = 1 % int(ncpu())}, [&] {
    for (int i = 0; i < n; i++) {
      while (kt_sleep_unless(&token, "token", 0, 0, flag_set, &token) == 0 &&
             !__atomic_load_n(&token, __ATOMIC_ACQUIRE)) {
      }
      __atomic_store_n(&token, 0, __ATOMIC_RELEASE);
      consumed.store(i + 1, std::memory_order_release);
    }
  });
  Thread producer({.cpu = 0}, [&] {
    for (int i = 0; i < n; i++) {
      while (consumed.load(std::memory_order_acquire) < i) kt_thread_yield();
      __atomic_store_n(&token, 1, __ATOMIC_RELEASE);
      kt_wakeup(&token);
    }
  });
  producer.join();
  ASSERT_TRUE(wait_until([&] { return consumed.load() == n; }));
  consumer.join();
}

TEST_P(Sleepq, SleepUnlessMisusePanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  int chan = 0, flag = 0;
  EXPECT_DEATH(kt_sleep_unless(&chan, "host", 0, 0, flag_set, &flag),
               "must be called from a kernel thread");
  EXPECT_DEATH(run_in_kthread([&] { kt_sleep_unless(nullptr, "x", 0, 0, flag_set, &flag); }),
               "NULL wait channel");
  EXPECT_DEATH(run_in_kthread([&] { kt_sleep_unless(&chan, "x", 0, 0, nullptr, nullptr); }),
               "NULL done function");
}

// R9: an interrupt that comes after the timeout ended the sleep, but before
// the sleeper ran again, wins (signal errors rank above timeouts). The
// sleeper is kept from running by a hog on the one vCPU meanwhile; the hog
// starts spinning only once the sleeper sleeps, a hand-off on the one vCPU
// that no host timing can undo.
TEST(SleepqPrecedence, AnInterruptAfterTheTimeoutButBeforeTheSleeperRunsWins) {
  kt_config c{};
  c.ncpu = 1;
  ASSERT_EQ(kt_boot(&c), 0);
  int chan = 0;
  std::atomic<int> rc{-1};
  std::atomic<bool> release{false};
  {
    Thread sleeper([&] { rc = kt_sleep(&chan, "r9", KT_SLEEP_INTR, 20000000); });  // 20 ms
    const kt_tid_t sid = sleeper.id();
    Thread hog([&] {
      while (kt_thread_state(sid) != KT_SLEEPING && rc.load() == -1) kt_thread_yield();
      while (!release.load()) {  // no preemption point
      }
    });
    struct Release {
      std::atomic<bool>& r;
      ~Release() { r = true; }  // before the hog is joined, whatever fails
    } guard{release};
    // The clock ends the timeout of the busy vCPU: the sleeper is runnable,
    // queued behind the hog.
    ASSERT_TRUE(wait_until([&] { return sleeper.state() == State::kRunnable; }));
    EXPECT_EQ(kt_interrupt(sid), 0);
  }
  EXPECT_EQ(rc.load(), EINTR);
  kt_shutdown(0);
}

TEST_P(Sleepq, HostThreadsMayJoinButNotSleep) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  int chan = 0;
  EXPECT_DEATH(kt_sleep(&chan, "host", 0, 0), "must be called from a kernel thread");
}

TEST_P(Sleepq, NativeSleepPhaseAndTimeout) {
  int flag = 0;
  Wake w1 = Wake::kWoken, w2 = Wake::kWoken;
  Thread t([&] {
    SleepPhase p(&flag, "phase");
    if (!__atomic_load_n(&flag, __ATOMIC_ACQUIRE)) w1 = p.sleep();
    w2 = kt::sleep(&t, "short", std::chrono::milliseconds(1));
  });
  ASSERT_TRUE(wait_until([&] { return asleep(t); }));
  __atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
  kt::wakeup(&flag);
  t.join();
  EXPECT_EQ(w1, Wake::kWoken);
  EXPECT_EQ(w2, Wake::kTimedOut);
}

}  // namespace
}  // namespace kt::test
