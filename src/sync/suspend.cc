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
// Every entry point validates the handle under lock_ (with_live), so a
// request never lands on the thread that took a retired handle's slot.
#include <cerrno>

#include "base/clock.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/thread.h"
#include "kt/c/control.h"
#include "sync/sleepq.h"

using namespace kt;

extern "C" int kt_suspend(uint64_t tid, uint64_t timo_ns) {
  KThread* self = curthread();
  const uint64_t deadline = timo_ns ? now_ns() + timo_ns : 0;
  int rc = ESRCH;
  with_live(tid, [&](KThread* t) {
    t->lock_.assert_held();
    if (t == self && timo_ns == 0) {
      rc = EDEADLK;
      return;
    }
    t->susp_req_ = true;
    rc = sleep_interlocked(&t->susp_req_, "suspkt", 0, deadline, t->lock_);
  });
  return rc;
}

extern "C" int kt_resume(uint64_t tid) {
  const bool live = with_live(tid, [](KThread* t) {
    t->susp_req_ = false;
    wakeup_n(&t->susp_req_, -1);
  });
  preempt();
  return live ? 0 : ESRCH;
}

extern "C" void kt_suspend_check(uint64_t tid) {
  // Fast path: an unlocked peek can only miss a request made this instant,
  // which the next check sees.
  KThread* peek = proctab::lookup(tid);
  if (!peek || !peek->susp_req_.load(std::memory_order_relaxed)) return;
  with_live(tid, [](KThread* t) {
    t->lock_.assert_held();
    while (t->susp_req_) {
      wakeup_n(&t->susp_req_, -1);  // the acknowledgement the suspender waits for
      sleep_interlocked(&t->susp_req_, "ktsusp", kSleepSuspended, 0, t->lock_);
    }
  });
}

extern "C" int kt_suspend_pending(uint64_t tid) {
  bool pending = false;
  with_live(tid, [&](KThread* t) { pending = t->susp_req_; });
  return pending;
}
