// Timeouts are honoured whatever else the vCPU is doing.
#include <cerrno>
#include <chrono>

#include "kt_test.h"

namespace kt::test {
namespace {

// One vCPU whose other threads hand the CPU to each other through
// sleep/wakeup forever: its loop never runs, yet the sleeper's timeout must
// fire.
TEST(Timer, TimeoutFiresWhileTheVcpuPingPongs) {
  kt_config c{};
  c.ncpu = 1;
  ASSERT_EQ(kt_boot(&c), 0);
  std::atomic<int> rc{-1};
  std::atomic<bool> stop{false};
  std::atomic<long> rounds{0};
  int ball = 0;
  {
    Thread sleeper([&] { rc = kt_sleep(&rc, "timeout", 0, 5000000); });  // 5 ms
    // A pure ping-pong: whoever does not hold the ball sleeps without a
    // timeout, so the vCPU always has a runnable thread.
    auto player = [&](int me) {
      while (!stop) {
        kt_sleep_setup(&ball, "ball", 0);
        if (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != me) {
          kt_sleep_finish(0, 1);
          continue;
        }
        kt_sleep_finish(0, 0);
        rounds++;
        __atomic_store_n(&ball, 1 - me, __ATOMIC_RELEASE);
        kt_wakeup(&ball);
      }
      __atomic_store_n(&ball, 1 - me, __ATOMIC_RELEASE);
      kt_wakeup(&ball);
    };
    Thread a([&] { player(0); });
    Thread b([&] { player(1); });
    EXPECT_TRUE(wait_until([&] { return rc.load() != -1; }));
    stop = true;
    kt_wakeup(&ball);
  }
  EXPECT_EQ(rc.load(), EWOULDBLOCK);
  kt_shutdown(0);
}

TEST(Timer, TimeoutFiresOnAnIdleVcpu) {
  kt_config c{};
  c.ncpu = 2;
  ASSERT_EQ(kt_boot(&c), 0);
  int rc = -1;
  {
    Thread t({.cpu = 1}, [&] { rc = kt_sleep(&rc, "idle", 0, 2000000); });
  }
  EXPECT_EQ(rc, EWOULDBLOCK);
  kt_shutdown(0);
}

// A thread that never reaches a preemption point holds its vCPU, but not
// the timeouts begun there: the clock ends them, and the sleeper (unbound)
// goes on on the idle vCPU while the hog still spins.
TEST(Timer, TimeoutFiresOnAHoggedVcpuAndTheSleeperMovesOn) {
  kt_config c{};
  c.ncpu = 2;
  ASSERT_EQ(kt_boot(&c), 0);
  std::atomic<int> rc{-1};
  std::atomic<int> woke_on{-1};
  bool hog_saw = false;
  run_in_kthread(
      [&] {
        Thread sleeper([&] {
          rc = kt_sleep(&rc, "hogged", 0, 20000000);  // 20 ms
          woke_on = kt_thread_cpu(kt_thread_self());
        });
        // Let it begin its sleep here, on vCPU 0.
        while (sleeper.state() != State::kSleeping) kt_sleep(&hog_saw, "settle", 0, 100000);
        // Hog vCPU 0: no preemption point until the sleeper is through (a
        // generous bound guards against a hang).
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (rc.load() == -1 && std::chrono::steady_clock::now() < end) {
        }
        hog_saw = rc.load() != -1;
        sleeper.join();
      },
      {.cpu = 0});
  EXPECT_TRUE(hog_saw) << "the timeout waited for the hog";
  EXPECT_EQ(rc.load(), EWOULDBLOCK);
  EXPECT_EQ(woke_on.load(), 1);
  kt_shutdown(0);
}

}  // namespace
}  // namespace kt::test
