// An idle kernel uses no CPU: once its threads sleep, every vCPU parks in
// the host until work or its next timeout arrives. This is not a speed
// test: one vCPU that kept spinning would cost a whole core.
#include <time.h>

#include <chrono>
#include <thread>
#include <vector>

#include "kt/c/sleep.h"
#include "kt_test.h"

namespace kt::test {
namespace {

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

TEST(Idle, AnIdleKernelBurnsNoCpu) {
  kt_config c{};
  c.ncpu = 4;  // more vCPUs than this machine may have cores
  ASSERT_EQ(kt_boot(&c), 0);
  static int forever, ticking;
  std::atomic<bool> stop{false};
  std::vector<Thread> sleepers;
  // Some sleep until woken; some wake every 50 ms and go back to sleep, so
  // the vCPUs have timeouts to park for, not only wakeups.
  for (int i = 0; i < 8; i++)
    sleepers.emplace_back(ThreadOptions{.name = "sleeper"}, [&, i] {
      // stop is tested under the channel's lock: the final wakeup is not missed.
      auto stopped = [](void* p) { return int(static_cast<std::atomic<bool>*>(p)->load()); };
      while (!stop.load())
        kt_sleep_unless(i < 6 ? &forever : &ticking, "idle", 0, i < 6 ? 0 : 50000000, stopped,
                        &stop);
    });
  for (auto& t : sleepers) ASSERT_TRUE(wait_until([&] { return t.state() == State::kSleeping; }));
  // Past the vCPUs' spin before parking (tens of microseconds).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double cpu = process_cpu_seconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  stop = true;
  kt_wakeup(&forever);
  kt_wakeup(&ticking);
  for (auto& t : sleepers) t.join();
  kt_shutdown(0);
  printf("idle: %.1f ms of CPU in %.0f ms\n", cpu * 1e3, wall * 1e3);
  // A busy core would use all of the window; parked vCPUs use next to none.
  EXPECT_LT(cpu, 0.05 * wall);
}

}  // namespace
}  // namespace kt::test
