// Wait channels for C++ code: sleep on any address until woken.
//
//   while (!ready) kt::sleep(&ready, "ready");     // with an interlock, see below
//   ready = true; kt::wakeup(&ready);
//
// Wakeups are not remembered. Test the condition under a lock the waker
// takes too (kt::CondVar does this for you), or use kt::SleepPhase:
//
//   kt::SleepPhase p(&flag, "flag");   // queued from here on
//   if (!flag) p.sleep();              // a wakeup after the queueing is kept
#pragma once

#include <chrono>

#include "kt/c/sleep.h"
#include "kt/error.hpp"

namespace kt {

// How a wait ended. An interrupted interruptible wait does not return: it
// throws kt::Interrupted.
enum class Wake { kWoken, kTimedOut };

enum class Interruptible { kNo, kYes };

namespace detail {
// throw_interrupted() takes the caller's oldest note (if any) into the
// exception.
[[noreturn]] void throw_interrupted();
inline Wake to_wake(int rc) {
  if (rc == EINTR) throw_interrupted();
  return rc == EWOULDBLOCK ? Wake::kTimedOut : Wake::kWoken;
}
inline uint64_t to_ns(std::chrono::nanoseconds d) {
  return d.count() <= 0 ? 0 : uint64_t(d.count());
}
}  // namespace detail

// sleep() blocks the calling kernel thread on wchan. A zero timeout means
// none. Interruptible::kYes lets a note, signal or kt_interrupt end it by
// throwing kt::Interrupted. May sleep; must be called from a kernel thread.
inline Wake sleep(const void* wchan, const char* wmesg,
                  std::chrono::nanoseconds timeout = std::chrono::nanoseconds::zero(),
                  Interruptible intr = Interruptible::kNo) {
  return detail::to_wake(kt_sleep(wchan, wmesg, intr == Interruptible::kYes ? KT_SLEEP_INTR : 0,
                                  detail::to_ns(timeout)));
}

// wakeup() wakes every sleeper on wchan; wakeup_one() the most urgent.
// Both return how many they woke. Never sleep.
inline int wakeup(const void* wchan) { return kt_wakeup(wchan); }
inline int wakeup_one(const void* wchan) { return kt_wakeup_one(wchan); }

// SleepPhase: the two-phase sleep. Constructing it queues the caller on
// wchan; sleep() then blocks unless a wakeup already came; destroying it
// without sleeping leaves the queue.
class SleepPhase {
 public:
  SleepPhase(const void* wchan, const char* wmesg, Interruptible intr = Interruptible::kNo) {
    kt_sleep_setup(wchan, wmesg, intr == Interruptible::kYes ? KT_SLEEP_INTR : 0);
  }
  ~SleepPhase() {
    if (!done_) kt_sleep_finish(0, 0);
  }
  SleepPhase(const SleepPhase&) = delete;
  SleepPhase& operator=(const SleepPhase&) = delete;

  Wake sleep(std::chrono::nanoseconds timeout = std::chrono::nanoseconds::zero()) {
    done_ = true;
    return detail::to_wake(kt_sleep_finish(detail::to_ns(timeout), 1));
  }

 private:
  bool done_ = false;
};

}  // namespace kt
