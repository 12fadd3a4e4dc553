// The native C++ API of the controls that have no other C++ test: Rendez,
// QLock, rendezvous, signals, start-up records, deferral and shutdown
// handlers.
#include <cerrno>
#include <mutex>
#include <string>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

// A start-up record made by C++ static initialisation, before main: every
// kernel this process boots runs it.
int static_runs = 0;
void count_static(const void* udata) { static_runs += *static_cast<const int*>(udata); }
const int kOne = 1;
Sysinit static_record(0x1000000, 1, count_static, &kOne);

class Native : public WithKernel {};
KT_INSTANTIATE_NCPU(Native);

TEST_P(Native, StaticSysinitRanAtBoot) {
  EXPECT_GE(static_runs, 1);
  const int before = static_runs;
  kt_shutdown(0);
  ASSERT_EQ(kt_boot(nullptr), 0);
  EXPECT_EQ(static_runs, before + 1) << "each boot runs it once";
}

TEST_P(Native, RendezSleepsUnlessItsConditionHolds) {
  Rendez r;
  std::atomic<int> items{1};
  run_in_kthread([&] { EXPECT_EQ(r.sleep([&] { return items.load() > 0; }), Wake::kWoken); });
  items = 0;
  Thread sleeper([&] { EXPECT_EQ(r.sleep([&] { return items.load() > 0; }), Wake::kWoken); });
  ASSERT_TRUE(wait_until([&] { return sleeper.state() == State::kSleeping; }));
  items = 1;
  EXPECT_TRUE(r.wakeup());
  sleeper.join();
  EXPECT_FALSE(r.wakeup()) << "nobody sleeps";
}

TEST_P(Native, RendezTimesOutAndANoteThrows) {
  Rendez r;
  run_in_kthread([&] {
    EXPECT_EQ(r.sleep([] { return false; }, std::chrono::milliseconds(2)), Wake::kTimedOut);
  });
  std::string seen;
  Thread sleeper([&] {
    try {
      r.sleep([] { return false; });
    } catch (const Interrupted& n) {
      seen = n.note();
    }
  });
  ASSERT_TRUE(wait_until([&] { return sleeper.state() == State::kSleeping; }));
  EXPECT_TRUE(post_note(sleeper, "unbind"));
  sleeper.join();
  EXPECT_EQ(seen, "unbind");
}

TEST_P(Native, QLockIsLockableAndFifo) {
  QLock fifo;
  std::vector<int> order;
  std::vector<Thread> waiters;
  // The holder queues three waiters, one after the other, then lets go:
  // they get the lock in the order they came.
  Thread holder([&] {
    std::scoped_lock g(fifo);
    EXPECT_FALSE(fifo.try_lock());
    for (int i = 0; i < 3; i++) {
      waiters.emplace_back(ThreadOptions{.cpu = 0}, [&, i] {
        std::scoped_lock w(fifo);
        order.push_back(i);
      });
      const kt_tid_t id = waiters.back().id();
      while (kt_thread_state(id) != KT_SLEEPING) kt_thread_yield();
    }
    EXPECT_TRUE(fifo.held());
  });
  holder.join();
  for (Thread& w : waiters) w.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST_P(Native, InterruptibleQLockThrowsWithoutTheLock) {
  QLock q;
  std::atomic<bool> release{false}, taken{false};
  bool got = true;
  Thread holder([&] {
    std::scoped_lock g(q);
    taken = true;
    while (!release) kt_thread_yield();
  });
  struct Release {
    std::atomic<bool>& r;
    ~Release() { r = true; }  // before the holder is joined, whatever fails
  } guard{release};
  ASSERT_TRUE(wait_until([&] { return taken.load(); }));
  Thread waiter([&] {
    try {
      q.lock_interruptible();
      q.unlock();
    } catch (const Interrupted&) {
      got = false;
    }
  });
  ASSERT_TRUE(wait_until([&] { return waiter.state() == State::kSleeping; }));
  EXPECT_TRUE(post_note(waiter, "stop"));
  waiter.join();
  EXPECT_FALSE(got);
}

TEST_P(Native, RendezvousSwapsValues) {
  uintptr_t a = 0, b = 0;
  Thread first([&] { a = rendezvous(7, 100); });
  Thread second([&] { b = rendezvous(7, 200); });
  first.join();
  second.join();
  EXPECT_EQ(a, 200u);
  EXPECT_EQ(b, 100u);
}

TEST_P(Native, SignalsInterruptUnlessBlocked) {
  int chan = 0;
  std::atomic<int> stage{0};
  Wake blocked_result = Wake::kWoken;
  bool interrupted = false;
  Thread t([&] {
    this_thread::block_signals(uint64_t(1) << (10 - 1));  // block signal 10
    stage = 1;
    while (stage.load() != 2) kt_thread_yield();  // the signal is pending now
    blocked_result = sleep(&chan, "sig", std::chrono::milliseconds(2), Interruptible::kYes);
    this_thread::block_signals(0);  // let it through: the next sleep ends at once
    try {
      sleep(&chan, "sig", std::chrono::seconds(30), Interruptible::kYes);
    } catch (const Interrupted&) {
      interrupted = true;
    }
  });
  ASSERT_TRUE(wait_until([&] { return stage.load() == 1; }));
  signal(t, 10);
  stage = 2;
  t.join();
  EXPECT_EQ(blocked_result, Wake::kTimedOut) << "a blocked signal leaves the sleep alone";
  EXPECT_TRUE(interrupted);
  EXPECT_THROW(signal(t, 10), Error);  // gone
}

TEST_P(Native, ShutdownHandlersRunInOrderWhileTheyLive) {
  std::vector<std::string> ran;
  {
    ShutdownHandler gone(ShutdownList::kPreSync, 0, [&](int) { ran.push_back("gone"); });
  }
  ShutdownHandler fin(ShutdownList::kFinal, 0, [&](int) { ran.push_back("final"); });
  ShutdownHandler late(ShutdownList::kPreSync, 200, [&](int) { ran.push_back("pre 200"); });
  ShutdownHandler early(ShutdownList::kPreSync, 100, [&](int) { ran.push_back("pre 100"); });
  ShutdownHandler post(ShutdownList::kPostSync, 0,
                       [&](int h) { ran.push_back("post " + std::to_string(h)); });
  EXPECT_THROW(ShutdownHandler(ShutdownList::kFinal, 20001, [](int) {}), Error);
  kt_shutdown(7);
  EXPECT_EQ(ran, (std::vector<std::string>{"pre 100", "pre 200", "post 7", "final"}));
  ASSERT_EQ(kt_boot(nullptr), 0);  // for TearDown; the handlers above die after it
}

TEST_P(Native, DeferRunsAtOnceWhenUp) {
  int ran = 0;
  defer([&] { ran++; });
  EXPECT_EQ(ran, 1);
}

TEST(NativeDefer, DeferredBeforeBootRunsOnceUp) {
  std::vector<int> ran;
  defer([&] { ran.push_back(1); });
  defer([&] { ran.push_back(2); });
  EXPECT_TRUE(ran.empty());
  ASSERT_EQ(kt_boot(nullptr), 0);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  kt_shutdown(0);
}

}  // namespace
}  // namespace kt::test
