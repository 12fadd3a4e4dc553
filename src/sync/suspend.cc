// Suspension, FreeBSD style (kthread_suspend(9), semantics.md 3.3-3.5).
//
// The request is a flag under the target's lock_; suspender and target both
// sleep on the flag's address with lock_ as the interlock (R2), so neither
// side's wakeup can fall between the other's test and sleep. Consequences
// kept on purpose, because FreeBSD code relies on them:
//   1. A timeout leaves the request pending: the target suspends at its next
//      check (R3).
//   2. A resume wakes a suspender still waiting, which then returns 0 though
//      the target never acknowledged (the shared channel).
//   3. Suspension is cooperative: a target that never checks never stops.
#include <cerrno>

#include "base/clock.h"
#include "core/lifecycle.h"
#include "core/thread.h"
#include "kt/c/control.h"
#include "sync/sleepq.h"

using namespace kt;

namespace {

// locked_lookup() finds t and takes its lock_, or returns nullptr when the
// handle is stale (checked again under the lock: the slot may be reused).
KThread* locked_lookup(uint64_t tid) KT_NO_THREAD_SAFETY_ANALYSIS {
  KThread* t = proctab::lookup(tid);
  if (!t) return nullptr;
  t->lock_.lock();
  if (t->tid() != tid || t->state_.load(std::memory_order_relaxed) == ThreadState::kFree) {
    t->lock_.unlock();
    return nullptr;
  }
  return t;
}

}  // namespace

extern "C" int kt_suspend(uint64_t tid, uint64_t timo_ns) KT_NO_THREAD_SAFETY_ANALYSIS {
  KThread* self = curthread();
  KThread* t = locked_lookup(tid);
  if (!t) return ESRCH;
  if (t == self && timo_ns == 0) {
    t->lock_.unlock();
    return EDEADLK;
  }
  t->susp_req_ = true;
  const uint64_t deadline = timo_ns ? now_ns() + timo_ns : 0;
  const int r = sleep_interlocked(&t->susp_req_, "suspkt", 0, deadline, t->lock_);
  t->lock_.unlock();
  return r;
}

extern "C" int kt_resume(uint64_t tid) KT_NO_THREAD_SAFETY_ANALYSIS {
  KThread* t = locked_lookup(tid);
  if (!t) return ESRCH;
  t->susp_req_ = false;
  wakeup_n(&t->susp_req_, -1);
  t->lock_.unlock();
  return 0;
}

extern "C" void kt_suspend_check(uint64_t tid) KT_NO_THREAD_SAFETY_ANALYSIS {
  KThread* t = proctab::lookup(tid);
  // Fast path: an unlocked peek can only miss a request made this instant,
  // which the next check sees.
  if (!t || !t->susp_req_.load(std::memory_order_relaxed)) return;
  t = locked_lookup(tid);
  if (!t) return;
  while (t->susp_req_) {
    wakeup_n(&t->susp_req_, -1);  // the acknowledgement the suspender waits for
    sleep_interlocked(&t->susp_req_, "ktsusp", kSleepSuspended, 0, t->lock_);
  }
  t->lock_.unlock();
}

extern "C" int kt_suspend_pending(uint64_t tid) KT_NO_THREAD_SAFETY_ANALYSIS {
  KThread* t = locked_lookup(tid);
  if (!t) return 0;
  const bool p = t->susp_req_;
  t->lock_.unlock();
  return p;
}
