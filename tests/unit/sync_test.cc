// kt::Mutex and kt::CondVar between kernel threads, and with host threads.
#include <algorithm>
#include <cerrno>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

class Sync : public WithKernel {};
KT_INSTANTIATE_NCPU(Sync);

TEST_P(Sync, MutexExcludesAcrossVcpus) {
  Mutex m;
  long counter = 0;  // guarded by m
  std::atomic<int> inside{0}, overlap{0};
  std::vector<Thread> ts;
  for (int i = 0; i < 8; i++)
    ts.emplace_back(ThreadOptions{}, [&] {
      for (int j = 0; j < 2000; j++) {
        std::unique_lock lk(m);
        if (inside.fetch_add(1) != 0) overlap++;
        counter++;
        if (j % 64 == 0) kt_thread_yield();  // hold it across a switch now and then
        inside.fetch_sub(1);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, 8 * 2000);
  EXPECT_EQ(overlap.load(), 0);
}

TEST_P(Sync, MutexWorksBetweenHostAndKernelThreads) {
  Mutex m;
  long counter = 0;
  Thread k([&] {
    for (int j = 0; j < 5000; j++) {
      std::unique_lock lk(m);
      counter++;
    }
  });
  for (int j = 0; j < 5000; j++) {
    std::unique_lock lk(m);
    counter++;
  }
  k.join();
  EXPECT_EQ(counter, 10000);
}

TEST_P(Sync, TryLockFailsWhileHeld) {
  Mutex m;
  bool got = true;
  m.lock();
  run_in_kthread([&] { got = m.try_lock(); });
  m.unlock();
  EXPECT_FALSE(got);
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST_P(Sync, CondVarHandsOffAndBroadcasts) {
  Mutex m;
  CondVar cv;
  int stage = 0;
  std::atomic<int> released{0};
  std::vector<Thread> ts;
  for (int i = 0; i < 4; i++)
    ts.emplace_back(ThreadOptions{}, [&] {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return stage == 1; });
      released++;
    });
  ASSERT_TRUE(wait_until([&] { return cv.has_waiters(); }));
  {
    std::unique_lock lk(m);
    stage = 1;
  }
  cv.notify_all();
  for (auto& t : ts) t.join();
  EXPECT_EQ(released.load(), 4);
}

// Threads in ps sleeping with this wait message.
int sleeping_on(const std::string& wmesg) {
  int n = 0;
  for (const ProcInfo& p : ps()) n += p.state == State::kSleeping && p.wmesg == wmesg;
  return n;
}

TEST_P(Sync, NotifyOneWakesExactlyOneWaiter) {
  Mutex m("one-m");
  CondVar cv("one-cv");
  int phase = 0;  // guarded by m
  std::atomic<int> returned{0};
  int seen[3] = {-1, -1, -1};
  std::vector<Thread> ts;
  for (int i = 0; i < 3; i++)
    ts.emplace_back(ThreadOptions{}, [&, i] {
      std::unique_lock lk(m);
      cv.wait(lk);  // once, with no predicate loop: every return counts
      seen[i] = phase;
      returned++;
    });
  ASSERT_TRUE(wait_until([&] { return sleeping_on("one-cv") == 3; }));
  {
    std::unique_lock lk(m);
    phase = 1;
  }
  cv.notify_one();
  ASSERT_TRUE(wait_until([&] { return returned.load() == 1; }));
  // The other two never left the condition variable's queue.
  EXPECT_EQ(sleeping_on("one-cv"), 2);
  EXPECT_TRUE(cv.has_waiters());
  {
    std::unique_lock lk(m);
    phase = 2;
  }
  cv.notify_all();
  for (auto& t : ts) t.join();
  EXPECT_EQ(returned.load(), 3);
  std::sort(std::begin(seen), std::end(seen));
  EXPECT_EQ(seen[0], 1);
  EXPECT_EQ(seen[1], 2);
  EXPECT_EQ(seen[2], 2);
  EXPECT_FALSE(cv.has_waiters());
}

TEST_P(Sync, NotifyWithoutWaitersIsNotRemembered) {
  Mutex m;
  CondVar cv;
  cv.notify_one();
  cv.notify_all();
  Wake w = Wake::kWoken;
  run_in_kthread([&] {
    std::unique_lock lk(m);
    w = cv.wait_for(lk, std::chrono::milliseconds(2));
  });
  EXPECT_EQ(w, Wake::kTimedOut);
}

TEST_P(Sync, CondVarPingPongBetweenHostAndKernelThread) {
  Mutex m;
  CondVar cv;
  const int n = 2000;
  int turn = 0;  // guarded by m: even for the host thread, odd for the kernel thread
  Thread k([&] {
    for (int i = 0; i < n; i++) {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return turn % 2 == 1; });
      turn++;
      cv.notify_all();
    }
  });
  for (int i = 0; i < n; i++) {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return turn % 2 == 0; });
    turn++;
    cv.notify_all();
  }
  k.join();
  EXPECT_EQ(turn, 2 * n);
}

TEST_P(Sync, ContendedLockSleepsUnderTheMutexName) {
  Mutex m("contended");
  int chan = 0;
  std::atomic<bool> holding{false}, got{false};
  Thread holder({.cpu = 0}, [&] {
    std::unique_lock lk(m);
    holding = true;
    kt_sleep(&chan, "hold", 0, 0);
  });
  ASSERT_TRUE(wait_until([&] { return holding.load() && holder.state() == State::kSleeping; }));
  // Same vCPU as the holder: it can only run because the waiter sleeps.
  Thread waiter({.cpu = 0}, [&] {
    std::unique_lock lk(m);
    got = true;
  });
  ASSERT_TRUE(wait_until([&] { return sleeping_on("contended") == 1; }));
  std::atomic<bool> third_ran{false};
  Thread third({.cpu = 0}, [&] { third_ran = true; });
  third.join();
  EXPECT_TRUE(third_ran.load());
  EXPECT_FALSE(got.load());
  EXPECT_EQ(kt_wakeup(&chan), 1);
  holder.join();
  waiter.join();
  EXPECT_TRUE(got.load());
}

TEST_P(Sync, HostThreadWaitsForAMutexHeldByASleepingKernelThread) {
  Mutex m;
  int chan = 0;
  std::atomic<bool> holding{false}, released{false};
  bool saw_released = false;
  Thread k([&] {
    m.lock();
    holding = true;
    kt_sleep(&chan, "hold", 0, 0);
    released = true;
    m.unlock();
  });
  ASSERT_TRUE(wait_until([&] { return holding.load() && k.state() == State::kSleeping; }));
  EXPECT_FALSE(m.try_lock());
  std::thread h([&] {
    m.lock();
    saw_released = released.load();
    m.unlock();
  });
  // The host thread is queued on the mutex (the word says "sleepers").
  ASSERT_TRUE(wait_until([&] { return std::atomic_ref<uint32_t>(m.native()->state).load() == 2; }));
  EXPECT_EQ(kt_wakeup(&chan), 1);
  h.join();
  k.join();
  EXPECT_TRUE(saw_released);
}

TEST_P(Sync, MutexExcludesHostAndKernelThreadsTogether) {
  Mutex m;
  long counter = 0;
  std::atomic<int> inside{0}, overlap{0};
  auto work = [&] {
    for (int j = 0; j < 1000; j++) {
      std::unique_lock lk(m);
      if (inside.fetch_add(1) != 0) overlap++;
      counter++;
      inside.fetch_sub(1);
    }
  };
  std::vector<Thread> ks;
  for (int i = 0; i < 6; i++) ks.emplace_back(ThreadOptions{}, work);
  std::vector<std::thread> hs;
  for (int i = 0; i < 3; i++) hs.emplace_back(work);
  for (auto& h : hs) h.join();
  for (auto& k : ks) k.join();
  EXPECT_EQ(counter, 9 * 1000);
  EXPECT_EQ(overlap.load(), 0);
}

TEST_P(Sync, CondVarWaitForTimesOut) {
  Mutex m;
  CondVar cv;
  Wake w = Wake::kWoken;
  bool relocked = false;
  std::chrono::nanoseconds waited{};
  run_in_kthread([&] {
    std::unique_lock lk(m);
    const auto t0 = std::chrono::steady_clock::now();
    w = cv.wait_for(lk, std::chrono::milliseconds(20));
    waited = std::chrono::steady_clock::now() - t0;
    relocked = m.owned();  // re-held on return
  });
  EXPECT_EQ(w, Wake::kTimedOut);
  EXPECT_GE(waited, std::chrono::milliseconds(20));
  EXPECT_TRUE(relocked);
  EXPECT_FALSE(cv.has_waiters());
}

TEST_P(Sync, CondVarWaitForFromAHostThreadTimesOut) {
  Mutex m;
  CondVar cv;
  std::unique_lock lk(m);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(cv.wait_for(lk, std::chrono::milliseconds(20)), Wake::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
  EXPECT_TRUE(lk.owns_lock());
  // The mutex really is held again: a kernel thread cannot take it.
  bool got = true;
  run_in_kthread([&] { got = m.try_lock(); });
  EXPECT_FALSE(got);
}

TEST_P(Sync, CondVarWaitForWokenInTime) {
  Mutex m;
  CondVar cv;
  bool ready = false;
  std::atomic<int> result{-1};
  Thread t([&] {
    std::unique_lock lk(m);
    Wake w = Wake::kWoken;
    while (!ready && w == Wake::kWoken) w = cv.wait_for(lk, std::chrono::seconds(30));
    result = ready && w == Wake::kWoken ? 1 : 0;
  });
  ASSERT_TRUE(wait_until([&] { return cv.has_waiters(); }));
  {
    std::unique_lock lk(m);
    ready = true;
  }
  cv.notify_one();
  t.join();
  EXPECT_EQ(result.load(), 1);
}

TEST_P(Sync, InterruptibleWaitThrowsAndRelocks) {
  Mutex m;
  CondVar cv;
  bool threw = false, relocked = false;
  Thread t([&] {
    std::unique_lock lk(m);
    try {
      cv.wait_for(lk, std::chrono::seconds(30), Interruptible::kYes);
    } catch (const Interrupted&) {
      threw = true;
      relocked = m.owned();
    }
  });
  ASSERT_TRUE(wait_until([&] { return cv.has_waiters(); }));
  kt_interrupt(t.id());
  t.join();
  EXPECT_TRUE(threw);
  EXPECT_TRUE(relocked);
}

using SyncDeath = Sync;
INSTANTIATE_TEST_SUITE_P(Ncpu, SyncDeath, ::testing::Values(2u));

TEST_P(SyncDeath, UnlockByANonOwnerPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Mutex m("victim");
        m.lock();
        run_in_kthread([&] { m.unlock(); });
      },
      "mutex 'victim' released by a context that does not hold it");
}

TEST_P(SyncDeath, HostUnlockOfAKernelThreadsMutexPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        static Mutex m("kheld");
        run_in_kthread([&] { m.lock(); });
        m.unlock();
      },
      "mutex 'kheld' released by a context that does not hold it");
}

TEST_P(SyncDeath, UnlockOfAFreeMutexPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Mutex m("free");
        run_in_kthread([&] { m.unlock(); });
      },
      "mutex 'free' released by a context that does not hold it");
}

TEST_P(SyncDeath, WaitWithoutTheMutexPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        kt_mutex m;
        kt_mutex_init(&m, "unheld");
        kt_cv cv;
        kt_cv_init(&cv, "lonely");
        run_in_kthread([&] { kt_cv_wait(&cv, &m, 0, 0); });
      },
      "cv_wait on 'lonely' without holding mutex 'unheld'");
}

// The waiters of one condition variable share one mutex (their count is
// kept under it): a wait with another mutex while one waits is a panic, not
// a miscounted waiter whose wakeup a signal could skip.
TEST_P(SyncDeath, WaitWithAnotherMutexThanTheWaitersPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        static kt_mutex a;
        static kt_mutex b;
        static kt_cv cv;
        kt_mutex_init(&a, "first");
        kt_mutex_init(&b, "second");
        kt_cv_init(&cv, "shared");
        Thread waiter([] {
          kt_mutex_lock(&a);
          kt_cv_wait(&cv, &a, 0, 0);
        });
        ASSERT_TRUE(wait_until([] { return kt_cv_has_waiters(&cv) != 0; }));
        run_in_kthread([] {
          kt_mutex_lock(&b);
          kt_cv_wait(&cv, &b, 0, 0);
        });
      },
      "cv_wait on 'shared' with mutex 'second' while others wait on it with another mutex");
}

// Waiters that take turns with the same mutex are counted exactly: the
// count goes back to zero once the last has returned, across timeouts too.
TEST_P(Sync, WaiterCountFollowsWaitsAndTimeouts) {
  Mutex m("count");
  CondVar cv;
  bool go = false;
  std::vector<Thread> ts;
  for (int i = 0; i < 8; i++)
    ts.emplace_back([&] {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return go; });
    });
  for (auto& t : ts)
    ASSERT_TRUE(wait_until([&] { return kt_thread_state(t.id()) == KT_SLEEPING; }));
  Thread timed([&] {
    std::unique_lock lk(m);
    EXPECT_EQ(cv.wait_for(lk, std::chrono::milliseconds(1)), Wake::kTimedOut);  // nobody signals
  });
  timed.join();
  EXPECT_TRUE(cv.has_waiters());  // the eight
  {
    std::unique_lock lk(m);
    go = true;
  }
  cv.notify_all();
  for (auto& t : ts) t.join();
  EXPECT_FALSE(cv.has_waiters());
}

}  // namespace
}  // namespace kt::test
