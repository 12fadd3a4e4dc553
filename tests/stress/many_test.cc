// 100,000 live kernel threads at once.
#include <vector>

#include "core/thread.h"
#include "unit/kt_test.h"

namespace kt::test {
namespace {

TEST(Many, HundredThousandLiveThreads) {
#if defined(KT_SANITIZE_THREAD)
  const int n = 4000;  // TSan counts every fiber as a thread, and stops at 8128
#elif defined(KT_SANITIZE_ADDRESS)
  const int n = 10000;
#else
  const int n = 100000;
#endif
  kt_config c{};
  c.ncpu = 4;
  c.maxproc = unsigned(n) + 100;
  ASSERT_EQ(kt_boot(&c), 0);
  static int chan;
  static std::atomic<int> asleep, woke;
  asleep = 0;
  woke = 0;
  std::vector<kt_tid_t> ts(size_t(n), 0);
  // A kernel thread creates and joins them all, as a kernel would.
  run_in_kthread([&] {
    kt_thread_attr a{};
    a.name = "many";
    a.pri = -1;
    a.cpu = -1;
    a.flags = KT_MPSAFE | KT_JOINABLE;
    for (int i = 0; i < n; i++)
      ASSERT_EQ(kt_thread_create(
                    &a,
                    [](void*) {
                      kt_sleep_setup(&chan, "many", 0);
                      asleep++;
                      kt_sleep_finish(0, 1);
                      woke++;
                    },
                    nullptr, &ts[size_t(i)]),
                0)
          << "at thread " << i;
  });
  EXPECT_EQ(proctab::nprocs(), unsigned(n));
  ASSERT_TRUE(wait_until([&] { return asleep.load() == n; }, std::chrono::seconds(120)));
  // All queued on the channel: one wakeup releases them all.
  EXPECT_EQ(kt_wakeup(&chan), n);
  run_in_kthread([&] {
    for (kt_tid_t t : ts) ASSERT_EQ(kt_thread_join(t, nullptr), 0);
  });
  EXPECT_EQ(woke.load(), n);
  EXPECT_EQ(proctab::nprocs(), 0u);
  kt_shutdown(0);
}

}  // namespace
}  // namespace kt::test
