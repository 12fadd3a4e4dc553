// Plan 9's waits for C++ code: a Rendez (one sleeper, a condition), a QLock
// (FIFO sleeping lock, Lockable) and rendezvous on a tag (kt/c/rendez.h has
// the contracts in full). Kernel threads only.
//
//   kt::Rendez r;
//   r.sleep([&] { return q.ready(); });          // unless ready: until a wakeup
//   ... q.put(x); r.wakeup();
//
//   kt::QLock ql;
//   { std::scoped_lock g(ql); ... }               // not interruptible
//   ql.lock_interruptible();                      // throws kt::Interrupted
#pragma once

#include <chrono>
#include <cstdint>

#include "kt/c/rendez.h"
#include "kt/c/sleep.h"
#include "kt/sleep.hpp"

namespace kt {

class Rendez {
 public:
  Rendez() = default;
  Rendez(const Rendez&) = delete;
  Rendez& operator=(const Rendez&) = delete;

  // sleep() returns at once if done() holds, else sleeps until a wakeup
  // (or the timeout: kTimedOut; zero means none). done() is tested once,
  // with the caller already queued, so a wakeup that follows the change it
  // tests is never lost; it must not sleep. As in Plan 9, a wakeup ends the
  // sleep whatever done() would say by then. A second sleeper at once is a
  // panic ("double sleep"). Interruptible::kYes (Plan 9's sleep) throws
  // kt::Interrupted on a note.
  template <typename Done>
  Wake sleep(Done done, std::chrono::nanoseconds timeout = std::chrono::nanoseconds::zero(),
             Interruptible intr = Interruptible::kYes) {
    return detail::to_wake(kt_rendez_sleep(
        &r_, [](void* p) { return int(bool((*static_cast<Done*>(p))())); }, &done,
        detail::to_ns(timeout), intr == Interruptible::kYes ? KT_SLEEP_INTR : 0));
  }

  // wakeup() wakes the sleeper, if any: true when there was one. Never sleeps.
  bool wakeup() { return kt_rendez_wakeup(&r_) != 0; }

  kt_rendez* native() { return &r_; }

 private:
  kt_rendez r_{};
};

class QLock {
 public:
  QLock() = default;
  QLock(const QLock&) = delete;
  QLock& operator=(const QLock&) = delete;

  void lock() { kt_qlock_enter(&q_); }  // waiters are served in order
  bool try_lock() { return kt_qlock_try(&q_) != 0; }
  void unlock() { kt_qlock_exit(&q_); }  // panics unless held by the caller
  // lock_interruptible() is Plan 9's eqlock: a note while waiting throws
  // kt::Interrupted without the lock (a free lock is taken all the same).
  void lock_interruptible() { detail::to_wake(kt_eqlock_enter(&q_)); }
  bool held() const { return kt_qlock_held(&q_) != 0; }  // by the caller

  kt_qlock* native() { return &q_; }

 private:
  kt_qlock q_{};
};

// rendezvous() meets another kernel thread on tag: the first to arrive
// waits (interruptibly), and each gets the other's value. An interrupted
// wait returns ~0, as Plan 9's does.
inline uintptr_t rendezvous(uintptr_t tag, uintptr_t value) { return kt_rendezvous(tag, value); }

}  // namespace kt
