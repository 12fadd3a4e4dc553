// Plan 9 waiting: Rendez sleep/wakeup, QLocks (qlock, eqlock) and tag
// rendezvous, all on the sleep queues. Each waiter sleeps on a channel of
// its own (its descriptor's address) after linking itself where the waker
// will find it, under the structure's lock: the two-phase sleep makes the
// hand-off safe against a wakeup that comes before the waiter blocks.
#include "kt/c/rendez.h"

#include <cerrno>

#include "base/assert.h"
#include "base/clock.h"
#include "base/spinlock.h"
#include "core/thread.h"
#include "kt/c/sleep.h"
#include "sync/sleepq.h"

using namespace kt;

namespace {

// The spin lock of a zeroed C structure: one byte of it.
class ByteLock {
 public:
  explicit ByteLock(uint8_t* b) : b_(b) {
    while (__atomic_exchange_n(b_, 1, __ATOMIC_ACQUIRE))
      while (__atomic_load_n(b_, __ATOMIC_RELAXED)) __builtin_ia32_pause();
  }
  ~ByteLock() { __atomic_store_n(b_, 0, __ATOMIC_RELEASE); }

 private:
  uint8_t* b_;
};

// Consume an interrupt if one is pending; Plan 9's "note pending" test.
bool take_interrupt(KThread* t) { return t->intr_pending_.exchange(0) != 0; }

uint64_t deadline_after(uint64_t ns) { return ns ? now_ns() + ns : 0; }

}  // namespace

extern "C" int kt_rendez_sleep(struct kt_rendez* r, int (*cond)(void*), void* arg, uint64_t timo_ns,
                               int flags) {
  KThread* t = curthread_or_panic("sleep");
  const uint64_t deadline = deadline_after(timo_ns);
  const bool intr = flags & KT_SLEEP_INTR;
  const kt_tid_t me = t->tid();
  uint64_t none = 0;
  if (!__atomic_compare_exchange_n(&r->sleeper, &none, me, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_RELAXED) &&
      none != me) {
    panic("double sleep: pid %d '%s' sleeps on a Rendez that already has a sleeper", t->pid_,
          t->name_);
  }
  // Queue first, then test: a wakeup after the test finds us queued.
  sleep_setup(&t->slp_, r, "rendez", intr ? kSleepIntr : 0);
  int rc;
  if (intr && t->intr_pending_.load()) {
    sleep_finish(&t->slp_, 0, false);
    take_interrupt(t);
    rc = EINTR;  // a pending note wins, even over a true condition
  } else if (cond(arg)) {
    sleep_finish(&t->slp_, 0, false);
    rc = 0;
  } else {
    rc = sleep_finish(&t->slp_, deadline, true);
  }
  __atomic_store_n(&r->sleeper, 0, __ATOMIC_RELEASE);
  return rc;
}

extern "C" uint64_t kt_rendez_wakeup(struct kt_rendez* r) {
  const uint64_t who = __atomic_load_n(&r->sleeper, __ATOMIC_ACQUIRE);
  return wakeup_n(r, 1) ? who : 0;
}

namespace {

enum class QlockMode { kPlain, kInterruptible, kTry };

// qlock_take() returns 0 when the lock is the caller's, EINTR or EBUSY.
int qlock_take(kt_qlock* q, QlockMode mode) {
  KThread* t = curthread_or_panic(mode == QlockMode::kInterruptible ? "eqlock" : "qlock");
  {
    ByteLock g(&q->lock);
    // locked and owner change under the byte lock but are read without it
    // (kt_qlock_held), hence the atomic accesses.
    // Free: take it, even with a note pending.
    if (!__atomic_load_n(&q->locked, __ATOMIC_RELAXED)) {
      __atomic_store_n(&q->locked, 1, __ATOMIC_RELAXED);
      __atomic_store_n(&q->owner, t->tid(), __ATOMIC_RELAXED);
      return 0;
    }
    // canqlock fails on a held lock, whoever holds it; only blocking on a
    // lock one holds is a deadlock worth a panic.
    if (mode == QlockMode::kTry) return EBUSY;
    if (__atomic_load_n(&q->owner, __ATOMIC_RELAXED) == t->tid())
      panic("qlock: pid %d '%s' already holds it", t->pid_, t->name_);
    if (mode == QlockMode::kInterruptible && take_interrupt(t)) return EINTR;
    t->ql_next_ = nullptr;
    t->ql_handed_ = false;
    if (q->tail)
      static_cast<KThread*>(q->tail)->ql_next_ = t;
    else
      q->head = t;
    q->tail = t;
    sleep_setup(&t->slp_, &t->ql_next_, "qlock",
                mode == QlockMode::kInterruptible ? kSleepIntr : 0);
  }
  for (;;) {
    const int rc = sleep_finish(&t->slp_, 0, true);
    ByteLock g(&q->lock);
    if (t->ql_handed_) {
      // Handed the lock: an interrupt that raced the hand-off stays pending.
      if (rc == EINTR) t->intr_pending_.store(1);
      return 0;
    }
    if (rc == EINTR) {
      // Still queued: leave the queue without the lock (R8).
      KThread** pp = reinterpret_cast<KThread**>(&q->head);
      KThread* prev = nullptr;
      while (*pp != t) {
        prev = *pp;
        pp = &(*pp)->ql_next_;
      }
      *pp = t->ql_next_;
      if (q->tail == t) q->tail = prev;
      return EINTR;
    }
    // A stray wakeup: queue the sleep again and wait for the hand-off.
    sleep_setup(&t->slp_, &t->ql_next_, "qlock",
                mode == QlockMode::kInterruptible ? kSleepIntr : 0);
  }
}

}  // namespace

extern "C" void kt_qlock_enter(struct kt_qlock* q) { qlock_take(q, QlockMode::kPlain); }
extern "C" int kt_eqlock_enter(struct kt_qlock* q) {
  return qlock_take(q, QlockMode::kInterruptible);
}
extern "C" int kt_qlock_try(struct kt_qlock* q) { return qlock_take(q, QlockMode::kTry) == 0; }

extern "C" void kt_qlock_exit(struct kt_qlock* q) {
  KThread* t = curthread_or_panic("qunlock");
  KThread* next;
  {
    ByteLock g(&q->lock);
    if (!__atomic_load_n(&q->locked, __ATOMIC_RELAXED) ||
        __atomic_load_n(&q->owner, __ATOMIC_RELAXED) != t->tid())
      panic("qunlock: pid %d '%s' does not hold the lock", t->pid_, t->name_);
    next = static_cast<KThread*>(q->head);
    if (!next) {
      __atomic_store_n(&q->locked, 0, __ATOMIC_RELAXED);
      __atomic_store_n(&q->owner, 0, __ATOMIC_RELAXED);
      return;
    }
    // Hand the lock straight to the oldest waiter.
    q->head = next->ql_next_;
    if (!q->head) q->tail = nullptr;
    __atomic_store_n(&q->owner, next->tid(), __ATOMIC_RELAXED);
    next->ql_handed_ = true;
    // Woken under the lock: the waiter re-checks ql_handed_ under it too.
    wakeup_n(&next->ql_next_, 1);
  }
}

extern "C" int kt_qlock_held(const struct kt_qlock* q) {
  KThread* t = curthread();
  return t && __atomic_load_n(&q->locked, __ATOMIC_ACQUIRE) &&
         __atomic_load_n(&q->owner, __ATOMIC_RELAXED) == t->tid();
}

namespace {

struct RendezvousTable {
  SpinLock lock;
  KThread* waiting KT_GUARDED_BY(lock) = nullptr;  // one group: kernel threads share it
};
RendezvousTable rv_table;

}  // namespace

extern "C" uintptr_t kt_rendezvous(uintptr_t tag, uintptr_t value) {
  KThread* t = curthread_or_panic("rendezvous");
  {
    SpinGuard g(rv_table.lock);
    for (KThread** pp = &rv_table.waiting; *pp; pp = &(*pp)->rv_next_) {
      KThread* w = *pp;
      if (w->rv_tag_ != tag) continue;
      *pp = w->rv_next_;
      const uintptr_t theirs = w->rv_val_;
      w->rv_val_ = value;
      w->rv_done_ = true;
      wakeup_n(&w->rv_tag_, 1);
      return theirs;
    }
    t->rv_tag_ = tag;
    t->rv_val_ = value;
    t->rv_done_ = false;
    t->rv_next_ = rv_table.waiting;
    rv_table.waiting = t;
    sleep_setup(&t->slp_, &t->rv_tag_, "rendez", kSleepIntr);
  }
  for (;;) {
    const int rc = sleep_finish(&t->slp_, 0, true);
    SpinGuard g(rv_table.lock);
    if (t->rv_done_) {
      if (rc == EINTR) t->intr_pending_.store(1);  // lost the race: keep the note
      return t->rv_val_;
    }
    if (rc == EINTR) {
      for (KThread** pp = &rv_table.waiting; *pp; pp = &(*pp)->rv_next_)
        if (*pp == t) {
          *pp = t->rv_next_;
          break;
        }
      return ~uintptr_t(0);
    }
    sleep_setup(&t->slp_, &t->rv_tag_, "rendez", kSleepIntr);
  }
}
