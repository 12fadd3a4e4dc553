// SpinLock: the only lock kthreads takes inside the scheduler.
//
// Test-and-test-and-set with a pause in the wait loop. Held only for short,
// bounded sections; nothing may sleep or switch while holding one, except
// that a sleep-queue chain lock is carried across the switch itself and
// released by the next context (see sched.h). Lock order: src/base/lock_order.h.
#pragma once

#include <sched.h>

#include <atomic>

#include "base/assert.h"
#include "base/thread_annotations.h"

namespace kt {

class KT_CAPABILITY("spinlock") SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // lock() spins, giving its host CPU away every kSpinsBeforeYield rounds
  // (some microseconds): vCPUs are host threads and may outnumber the host's cores,
  // so the holder may be a preempted host thread that needs this very CPU
  // to finish its short section (lock-holder preemption). Without the yield
  // a waiter burned its whole host time slice, and join/exit under
  // oversubscription cost milliseconds each.
  void lock() KT_ACQUIRE() {
    // The uncontended case is one xchg; the wait loop stays out of line so
    // that callers on the hot paths keep their registers.
    if (KT_UNLIKELY(locked_.exchange(true, std::memory_order_acquire))) lock_contended();
  }
  bool try_lock() KT_TRY_ACQUIRE(true) {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() KT_RELEASE() { locked_.store(false, std::memory_order_release); }

  // is_locked() is for assertions only: it says nothing about who holds it.
  bool is_locked() const { return locked_.load(std::memory_order_relaxed); }
  void assert_held() const KT_ASSERT_CAPABILITY(this) {}

 private:
  void lock_contended();

  static constexpr unsigned kSpinsBeforeYield = 1024;  // a power of two
  std::atomic<bool> locked_{false};
};

// SpinGuard holds a SpinLock for the enclosing scope.
class KT_SCOPED_CAPABILITY SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) KT_ACQUIRE(l) : l_(l) { l_.lock(); }
  ~SpinGuard() KT_RELEASE() { l_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& l_;
};

}  // namespace kt
