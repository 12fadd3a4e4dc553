// The two-step life cycle (AIX thread_create + kthread_start): a reserved
// thread has a pid and a name but runs only once launched with an entry,
// a stack and a data block copied to the top of that stack.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

class TwoStep : public WithKernel {};
KT_INSTANTIATE_NCPU(TwoStep);

kt_thread_attr named(const char* name) {
  kt_thread_attr a{};
  a.name = name;
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  return a;
}

struct Block {
  int a;
  char text[16];
};

// kt_thread_start racing kt_thread_launch on a reserved thread: only the
// launch starts it, exactly once, and never before its context is made.
TEST_P(TwoStep, StartRacingLaunchNeverStartsItTwiceOrHalfMade) {
  const int rounds = 300;
  for (int i = 0; i < rounds; i++) {
    kt_thread_attr a = named("raced");
    kt_tid_t t = 0;
    ASSERT_EQ(kt_thread_reserve(&a, &t), 0);
    static std::atomic<int> runs;
    runs = 0;
    std::atomic<bool> go{false};
    std::atomic<int> start_rc{-1};
    std::thread starter([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      int rc;
      for (int k = 0;
           k < 200 && (rc = kt_thread_start(t)) == ESRCH && kt_thread_state(t) == KT_IDLE_STATE;
           k++) {
      }
      start_rc = rc;
    });
    kt_launch l{};
    l.func = [](void*) { runs.fetch_add(1); };
    go.store(true, std::memory_order_release);
    ASSERT_EQ(kt_thread_launch(t, &l), 0);
    starter.join();
    EXPECT_EQ(start_rc.load(), ESRCH) << "round " << i;
    ASSERT_EQ(kt_thread_join(t, nullptr), 0);
    ASSERT_EQ(runs.load(), 1) << "round " << i;
  }
}

TEST_P(TwoStep, ReservedThreadIsIdleUntilLaunchedWithACopyOfItsData) {
  kt_thread_attr a = named("aixw");
  kt_tid_t t = 0;
  ASSERT_EQ(kt_thread_reserve(&a, &t), 0);
  EXPECT_EQ(kt_thread_state(t), KT_IDLE_STATE);
  EXPECT_GT(kt_thread_pid(t), 0);
  EXPECT_EQ(kt_thread_start(t), ESRCH);  // no entry yet: only launch starts it

  static Block seen;
  static const void* seen_at;
  Block b{7, "payload"};
  kt_launch l{};
  l.func = [](void* p) {
    seen_at = p;
    memcpy(&seen, p, sizeof seen);
  };
  l.data = &b;
  l.data_len = sizeof b;
  ASSERT_EQ(kt_thread_launch(t, &l), 0);
  b.a = 0;  // the thread has its own copy
  ASSERT_EQ(kt_thread_join(t, nullptr), 0);
  EXPECT_EQ(seen.a, 7);
  EXPECT_STREQ(seen.text, "payload");
  EXPECT_NE(seen_at, static_cast<const void*>(&b));
}

TEST_P(TwoStep, LaunchRunsOnTheCallersStack) {
  std::vector<std::byte> mem(256 * 1024);
  kt_thread_attr a = named("ownstack");
  kt_tid_t t = 0;
  ASSERT_EQ(kt_thread_reserve(&a, &t), 0);
  static uintptr_t local_at;
  kt_launch l{};
  l.func = [](void*) {
    int local = 0;
    local_at = reinterpret_cast<uintptr_t>(&local);
  };
  l.stack_top = mem.data() + mem.size();
  l.stack_len = mem.size();
  ASSERT_EQ(kt_thread_launch(t, &l), 0);
  ASSERT_EQ(kt_thread_join(t, nullptr), 0);
  EXPECT_GE(local_at, reinterpret_cast<uintptr_t>(mem.data()));
  EXPECT_LT(local_at, reinterpret_cast<uintptr_t>(mem.data() + mem.size()));
}

TEST_P(TwoStep, LaunchRefusesBadInputAndSecondLaunch) {
  kt_thread_attr a = named("bad");
  kt_tid_t t = 0;
  ASSERT_EQ(kt_thread_reserve(&a, &t), 0);
  kt_launch l{};
  EXPECT_EQ(kt_thread_launch(t, &l), EINVAL);  // no entry
  l.func = [](void*) {};
  char small[1024];
  l.stack_top = small + sizeof small;
  l.stack_len = sizeof small;
  EXPECT_EQ(kt_thread_launch(t, &l), EINVAL);  // stack below the minimum
  std::vector<std::byte> mem(KT_MIN_STACK);
  std::vector<char> big(KT_MIN_STACK);
  l.stack_top = mem.data() + mem.size();
  l.stack_len = mem.size();
  l.data = big.data();
  l.data_len = big.size();
  EXPECT_EQ(kt_thread_launch(t, &l), EINVAL);    // data larger than the stack allows
  EXPECT_EQ(kt_thread_state(t), KT_IDLE_STATE);  // still reserved
  l.data = nullptr;
  l.data_len = 0;
  EXPECT_EQ(kt_thread_launch(t, &l), 0);
  EXPECT_EQ(kt_thread_launch(t, &l), ESRCH);  // not idle any more
  EXPECT_EQ(kt_thread_join(t, nullptr), 0);
  EXPECT_EQ(kt_thread_launch(t, &l), ESRCH);  // stale
  EXPECT_EQ(kt_thread_launch(0, &l), ESRCH);
}

TEST_P(TwoStep, SignalMaskGivenAtLaunchIsHonoured) {
  kt_thread_attr a = named("masked");
  kt_tid_t t = 0;
  ASSERT_EQ(kt_thread_reserve(&a, &t), 0);
  static std::atomic<int> rc;
  static std::atomic<bool> asleep;
  rc = -1;
  asleep = false;
  kt_launch l{};
  l.func = [](void*) {
    asleep = true;
    rc = kt_sleep(&rc, "masked", KT_SLEEP_INTR, 30000000);  // 30 ms
  };
  l.sigmask = uint64_t(1) << 1;  // block signal 2
  ASSERT_EQ(kt_thread_launch(t, &l), 0);
  ASSERT_TRUE(wait_until([&] { return asleep.load(); }));
  EXPECT_EQ(kt_signal(t, 2), 0);
  ASSERT_EQ(kt_thread_join(t, nullptr), 0);
  EXPECT_EQ(rc.load(), EWOULDBLOCK);  // the blocked signal did not interrupt
}

TEST_P(TwoStep, ReservedThreadsLeftAtShutdownAreFreed) {
  kt_thread_attr a = named("never");
  kt_tid_t t = 0;
  ASSERT_EQ(kt_thread_reserve(&a, &t), 0);
  kt_shutdown(0);
  EXPECT_EQ(proctab::nprocs(), 0u);
  EXPECT_EQ(kt_thread_pid(t), -1);  // its handle went stale with the kernel
  kt_config c{};
  c.ncpu = ncpu();
  ASSERT_EQ(kt_boot(&c), 0);  // for TearDown
}

}  // namespace
}  // namespace kt::test
