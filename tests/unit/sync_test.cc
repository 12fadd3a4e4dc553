// kt::Mutex and kt::CondVar between kernel threads, and with host threads.
#include <cerrno>
#include <mutex>
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

TEST_P(Sync, CondVarWaitForTimesOut) {
  Mutex m;
  CondVar cv;
  Wake w = Wake::kWoken;
  run_in_kthread([&] {
    std::unique_lock lk(m);
    w = cv.wait_for(lk, std::chrono::milliseconds(2));
    EXPECT_TRUE(m.owned());  // re-held on return
  });
  EXPECT_EQ(w, Wake::kTimedOut);
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

}  // namespace
}  // namespace kt::test
