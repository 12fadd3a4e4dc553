// Suspension, notes, Broken threads and signals (FPU sections: fpu_test.cc).
#include <cerrno>
#include <cstring>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

class Control : public WithKernel {};
KT_INSTANTIATE_NCPU(Control);

constexpr auto kLong = std::chrono::seconds(30);  // "forever" that still ends a broken test

// --- suspension -----------------------------------------------------------

TEST_P(Control, SuspendWaitsForTheTargetsCheckAndResumeLetsItGo) {
  std::atomic<bool> stop{false};
  std::atomic<long> loops{0};
  Thread worker({.name = "worker"}, [&] {
    while (!stop) {
      loops++;
      this_thread::suspend_check();
      kt_thread_yield();
    }
  });
  bool acked = false;
  long frozen = 0;
  run_in_kthread([&] {
    acked = suspend(worker, kLong);
    frozen = loops.load();
  });
  EXPECT_TRUE(acked);
  EXPECT_TRUE(wait_until([&] { return worker.state() == State::kSuspended; }));
  EXPECT_EQ(loops.load(), frozen);  // suspended: no progress
  bool found = false;
  for (const ProcInfo& p : ps())
    if (p.id == worker.id()) found = p.state == State::kSuspended && p.wmesg == "ktsusp";
  EXPECT_TRUE(found) << "ps shows the worker suspended on ktsusp";
  resume(worker);
  EXPECT_TRUE(wait_until([&] { return loops.load() > frozen; }));
  stop = true;
}

TEST_P(Control, SuspendTimeoutLeavesTheRequestPending) {
  std::atomic<bool> check{false}, stop{false};
  Thread worker([&] {
    while (!stop) {
      if (check) this_thread::suspend_check();
      kt_thread_yield();
    }
  });
  bool acked = true;
  run_in_kthread([&] { acked = suspend(worker, std::chrono::milliseconds(20)); });
  EXPECT_FALSE(acked);  // the worker never checked
  EXPECT_TRUE(kt_suspend_pending(worker.id()));
  check = true;  // now it honours the stale request at its next check
  EXPECT_TRUE(wait_until([&] { return worker.state() == State::kSuspended; }));
  resume(worker);
  stop = true;
}

TEST_P(Control, ResumeBeforeTheCheckCancelsAndWakesTheSuspender) {
  std::atomic<bool> stop{false};
  Thread worker([&] {
    while (!stop) kt_thread_yield();  // never checks
  });
  int rc = -1;
  Thread suspender([&] { rc = kt_suspend(worker.id(), 0); });
  ASSERT_TRUE(wait_until([&] { return suspender.state() == State::kSleeping; }));
  EXPECT_EQ(kt_resume(worker.id()), 0);
  suspender.join();
  EXPECT_EQ(rc, 0);  // woken by the resume on the shared channel
  EXPECT_FALSE(kt_suspend_pending(worker.id()));
  stop = true;
}

TEST_P(Control, ResumeOfAThreadNotSuspendedIsANoOp) {
  Thread t([] {});
  EXPECT_EQ(kt_resume(t.id()), 0);
  t.join();
  EXPECT_EQ(kt_resume(t.id()), ESRCH);
  EXPECT_EQ(kt_suspend(t.id(), 1000), ESRCH);
}

TEST_P(Control, SelfSuspendWithoutTimeoutIsEdeadlk) {
  int forever = 0, bounded = 0;
  run_in_kthread([&] {
    forever = kt_suspend(kt_thread_self(), 0);
    bounded = kt_suspend(kt_thread_self(), 1000000);
    kt_resume(kt_thread_self());
  });
  EXPECT_EQ(forever, EDEADLK);
  EXPECT_EQ(bounded, EWOULDBLOCK);
}

// --- notes ------------------------------------------------------------------

TEST_P(Control, NoteInterruptsAnInterruptibleSleepWithItsText) {
  std::string got;
  std::atomic<bool> asleep{false};
  Thread t([&] {
    try {
      asleep = true;
      kt::sleep(&got, "nap", {}, Interruptible::kYes);
    } catch (const Interrupted& n) {
      got = n.note();
    }
  });
  ASSERT_TRUE(wait_until([&] { return t.state() == State::kSleeping; }));
  EXPECT_TRUE(post_note(t, "unbind"));
  t.join();
  EXPECT_EQ(got, "unbind");
}

TEST_P(Control, NotePostedBeforeTheSleepIsNotLost) {
  std::atomic<bool> posted{false};
  std::string got;
  Thread t([&] {
    while (!posted) kt_thread_yield();
    try {
      kt::sleep(&got, "late", {}, Interruptible::kYes);
      got = "slept";
    } catch (const Interrupted& n) {
      got = n.note();
    }
  });
  post_note(t, "early");
  posted = true;
  t.join();
  EXPECT_EQ(got, "early");
}

TEST_P(Control, UninterruptibleSleepIsNotDisturbedAndTheNoteWaits) {
  int flag = 0;
  std::string after;
  Thread t([&] {
    kt::sleep(&flag, "deaf");  // uninterruptible: only the wakeup ends it
    try {
      kt::sleep(&after, "next", {}, Interruptible::kYes);
    } catch (const Interrupted& n) {
      after = n.note();
    }
  });
  ASSERT_TRUE(wait_until([&] { return t.state() == State::kSleeping; }));
  post_note(t, "patience");
  EXPECT_EQ(t.state(), State::kSleeping);
  EXPECT_TRUE(wait_until([&] { return kt_wakeup(&flag) == 1; }));
  t.join();
  EXPECT_EQ(after, "patience");
}

TEST_P(Control, FullQueueDropsTheTextButStillInterrupts) {
  std::atomic<bool> go{false};
  int count = -1;
  std::vector<std::string> seen;
  Thread t([&] {
    while (!go) kt_thread_yield();
    count = kt_note_count(kt_thread_self());
    char buf[KT_ERRMAX];
    int flag;
    while (kt_note_take(buf, &flag)) seen.emplace_back(buf);
  });
  int accepted = 0;
  for (int i = 0; i < KT_NNOTE + 2; i++)
    accepted += kt_note_post(t.id(), ("n" + std::to_string(i)).c_str(), KT_NOTE_USER);
  EXPECT_EQ(accepted, KT_NNOTE);
  go = true;
  t.join();
  EXPECT_EQ(count, KT_NNOTE);
  ASSERT_EQ(seen.size(), size_t(KT_NNOTE));
  EXPECT_EQ(seen.front(), "n0");  // oldest first
}

TEST_P(Control, LongNoteIsTruncatedAndSystemNoteFlushesTheQueue) {
  std::atomic<bool> go{false};
  std::vector<std::string> seen;
  std::vector<int> flags;
  Thread t([&] {
    while (!go) kt_thread_yield();
    char buf[KT_ERRMAX];
    int flag;
    while (kt_note_take(buf, &flag)) {
      seen.emplace_back(buf);
      flags.push_back(flag);
    }
  });
  kt_note_post(t.id(), "a", KT_NOTE_USER);
  kt_note_post(t.id(), "b", KT_NOTE_USER);
  const std::string long_text(300, 'x');
  EXPECT_EQ(kt_note_post(t.id(), long_text.c_str(), KT_NOTE_EXIT), 1);
  go = true;
  t.join();
  ASSERT_EQ(seen.size(), 1u);  // the system note replaced a and b
  EXPECT_EQ(seen[0].size(), size_t(KT_ERRMAX - 1));
  EXPECT_EQ(flags[0], KT_NOTE_EXIT);
}

TEST_P(Control, NoteToAGoneThreadReportsEsrch) {
  Thread t([] {});
  t.join();
  EXPECT_EQ(kt_note_post(t.id(), "late", KT_NOTE_USER), -1);
  EXPECT_THROW(post_note(t, "late"), Error);
}

TEST_P(Control, BrokenThreadsAreKeptUpToNbroken) {
  std::vector<Thread> ts;
  for (int i = 0; i <= KT_NBROKEN; i++) {
    ts.emplace_back(ThreadOptions{.name = "dbg" + std::to_string(i)},
                    [i] { kt_thread_break(100 + i); });
    ASSERT_TRUE(wait_until([&] { return ts.back().state() == State::kBroken; }));
  }
  // The fifth Broken thread pushed the first out, and it went on dying.
  EXPECT_EQ(ts[0].join(), 100);
  // The eviction woke every Broken thread to check the list; each goes back.
  for (int i = 1; i <= KT_NBROKEN; i++)
    EXPECT_TRUE(wait_until([&] { return ts[size_t(i)].state() == State::kBroken; }));
  bool shown = false;
  for (const ProcInfo& p : ps()) shown |= p.state == State::kBroken && p.name == "dbg1";
  EXPECT_TRUE(shown);
  for (auto& t : ts) t.detach();  // the shutdown reports and frees the rest
}

// --- signals ------------------------------------------------------------------

TEST_P(Control, BlockedSignalStaysPendingUntilUnblocked) {
  std::atomic<int> stage{0};
  int rc_blocked = -1, rc_after = -1;
  Thread t([&] {
    kt_sigmask(uint64_t(1) << 14);  // block signal 15
    stage = 1;
    rc_blocked = kt_sleep(&stage, "sig", KT_SLEEP_INTR, 20000000);  // 20 ms
    kt_sigmask(0);                                                  // interrupts at once
    rc_after = kt_sleep(&stage, "sig2", KT_SLEEP_INTR, 0);
  });
  ASSERT_TRUE(wait_until([&] { return stage.load() == 1; }));
  EXPECT_EQ(kt_signal(t.id(), 15), 0);
  t.join();
  EXPECT_EQ(rc_blocked, EWOULDBLOCK);
  EXPECT_EQ(rc_after, EINTR);
  EXPECT_EQ(kt_signal(t.id(), 15), ESRCH);
  EXPECT_EQ(kt_signal(kt_thread_self(), 0), EINVAL);
}

}  // namespace
}  // namespace kt::test
