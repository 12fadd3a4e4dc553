// Plan 9 waiting in the core: Rendez, QLocks, eqlock, rendezvous.
#include "kt/c/rendez.h"

#include <cerrno>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

class Rendez : public WithKernel {};

// run_in_other() runs f in another kernel thread and returns its result.
template <typename F>
int run_in_other(F f) {
  int r = -1;
  Thread t([&] { r = f(); });
  t.join();
  return r;
}
KT_INSTANTIATE_NCPU(Rendez);

struct Flag {
  kt_rendez r{};
  std::atomic<int> v{0};
  static int ready(void* p) { return static_cast<Flag*>(p)->v.load() != 0; }
};

TEST_P(Rendez, SleepReturnsOnceTheConditionHoldsAfterAWakeup) {
  Flag f;
  int rc = -1;
  Thread t([&] { rc = kt_rendez_sleep(&f.r, Flag::ready, &f, 0, 0); });
  ASSERT_TRUE(wait_until([&] { return t.state() == State::kSleeping; }));
  f.v = 1;
  EXPECT_EQ(kt_rendez_wakeup(&f.r), t.id());
  t.join();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(kt_rendez_wakeup(&f.r), 0u);  // nobody left to wake
}

TEST_P(Rendez, TrueConditionDoesNotSleepButAPendingInterruptWins) {
  Flag f;
  f.v = 1;
  int plain = -1, intr = -1;
  run_in_kthread([&] {
    plain = kt_rendez_sleep(&f.r, Flag::ready, &f, 0, KT_SLEEP_INTR);
    kt_interrupt(kt_thread_self());
    intr = kt_rendez_sleep(&f.r, Flag::ready, &f, 0, KT_SLEEP_INTR);
  });
  EXPECT_EQ(plain, 0);
  EXPECT_EQ(intr, EINTR);
}

TEST_P(Rendez, TimedSleepEndsWithoutAWakeup) {
  Flag f;
  int rc = -1;
  run_in_kthread([&] { rc = kt_rendez_sleep(&f.r, Flag::ready, &f, 5000000, 0); });
  EXPECT_EQ(rc, EWOULDBLOCK);
}

using RendezDeath = Rendez;
INSTANTIATE_TEST_SUITE_P(Ncpu, RendezDeath, ::testing::Values(2u));

TEST_P(RendezDeath, DoubleSleepPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Flag f;
        Thread a([&] { kt_rendez_sleep(&f.r, Flag::ready, &f, 0, 0); });
        wait_until([&] { return a.state() == State::kSleeping; });
        run_in_kthread([&] { kt_rendez_sleep(&f.r, Flag::ready, &f, 0, 0); });
      },
      "double sleep");
}

TEST_P(Rendez, QlockIsExclusiveAndFifo) {
  kt_qlock q{};
  std::vector<int> order;
  std::atomic<int> queued{0};
  Thread holder({.cpu = 0}, [&] {
    kt_qlock_enter(&q);
    while (queued.load() < 4) kt_thread_yield();
    // Give the waiters time to queue in creation order: each one is queued
    // before the next is created (below).
    kt_qlock_exit(&q);
  });
  std::vector<Thread> ws;
  for (int i = 0; i < 4; i++) {
    ws.emplace_back(ThreadOptions{.cpu = 0}, [&, i] {
      queued++;
      kt_qlock_enter(&q);
      order.push_back(i);
      kt_qlock_exit(&q);
    });
    const kt_tid_t id = ws.back().id();
    ASSERT_TRUE(wait_until([&] { return kt_thread_state(id) == KT_SLEEPING; }));
  }
  holder.join();
  for (auto& w : ws) w.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST_P(Rendez, CanqlockFailsWhenHeld) {
  kt_qlock q{};
  int first = -1, second = -1, held = -1;
  run_in_kthread([&] {
    first = kt_qlock_try(&q);
    held = kt_qlock_held(&q);
    second = run_in_other([&] { return kt_qlock_try(&q); });
    kt_qlock_exit(&q);
  });
  EXPECT_EQ(first, 1);
  EXPECT_EQ(held, 1);
  EXPECT_EQ(second, 0);
}

TEST_P(Rendez, EqlockTakesAFreeLockEvenWithAnInterruptPending) {
  kt_qlock q{};
  int rc = -1, later = -1;
  run_in_kthread([&] {
    kt_interrupt(kt_thread_self());
    rc = kt_eqlock_enter(&q);
    kt_qlock_exit(&q);
    later = kt_sleep(&q, "after", KT_SLEEP_INTR, 0);  // the interrupt stayed pending
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(later, EINTR);
}

TEST_P(Rendez, EqlockWaiterIsInterruptedWithoutTheLock) {
  kt_qlock q{};
  std::atomic<bool> release{false};
  int rc = -1, held_after = -1;
  Thread holder([&] {
    kt_qlock_enter(&q);
    while (!release) kt_thread_yield();
    kt_qlock_exit(&q);
  });
  ASSERT_TRUE(wait_until([&] { return __atomic_load_n(&q.locked, __ATOMIC_ACQUIRE) != 0; }));
  Thread waiter([&] {
    rc = kt_eqlock_enter(&q);
    held_after = kt_qlock_held(&q);
    if (rc == 0) kt_qlock_exit(&q);
  });
  ASSERT_TRUE(wait_until([&] { return waiter.state() == State::kSleeping; }));
  kt_interrupt(waiter.id());
  waiter.join();
  EXPECT_EQ(rc, EINTR);
  EXPECT_EQ(held_after, 0);
  release = true;
  holder.join();
  EXPECT_EQ(__atomic_load_n(&q.locked, __ATOMIC_ACQUIRE), 0u);
}

TEST_P(Rendez, PlainQlockIgnoresInterrupts) {
  kt_qlock q{};
  std::atomic<bool> release{false};
  int later = -1;
  Thread holder([&] {
    kt_qlock_enter(&q);
    while (!release) kt_thread_yield();
    kt_qlock_exit(&q);
  });
  ASSERT_TRUE(wait_until([&] { return __atomic_load_n(&q.locked, __ATOMIC_ACQUIRE) != 0; }));
  Thread waiter([&] {
    kt_qlock_enter(&q);
    kt_qlock_exit(&q);
    later = kt_sleep(&q, "after", KT_SLEEP_INTR, 0);
  });
  ASSERT_TRUE(wait_until([&] { return waiter.state() == State::kSleeping; }));
  kt_interrupt(waiter.id());
  EXPECT_EQ(waiter.state(), State::kSleeping);  // still queued for the lock
  release = true;
  waiter.join();
  holder.join();
  EXPECT_EQ(later, EINTR);  // the note waited for the next interruptible sleep
}

TEST_P(Rendez, RendezvousSwapsValues) {
  uintptr_t a_got = 0, b_got = 0;
  Thread a([&] { a_got = kt_rendezvous(42, 111); });
  Thread b([&] { b_got = kt_rendezvous(42, 222); });
  a.join();
  b.join();
  EXPECT_EQ(a_got, 222u);
  EXPECT_EQ(b_got, 111u);
}

TEST_P(Rendez, InterruptedRendezvousReturnsAllOnes) {
  uintptr_t got = 0;
  Thread a([&] { got = kt_rendezvous(7, 1); });
  ASSERT_TRUE(wait_until([&] { return a.state() == State::kSleeping; }));
  kt_interrupt(a.id());
  a.join();
  EXPECT_EQ(got, ~uintptr_t(0));
}

}  // namespace
}  // namespace kt::test
