// Plan 9 waiting: Rendez sleep/wakeup, QLocks (qlock, eqlock) and tag
// rendezvous, all on the sleep queues. Each waiter sleeps on a channel of
// its own (its descriptor's address) after linking itself where the waker
// will find it, under the structure's lock: the two-phase sleep makes the
// hand-off safe against a wakeup that comes before the waiter blocks.
#include "kt/c/rendez.h"

#include <sched.h>

#include <atomic>
#include <cerrno>

#include "base/assert.h"
#include "base/clock.h"
#include "base/spinlock.h"
#include "core/thread.h"
#include "kt/c/sleep.h"
#include "sync/sleepq.h"

using namespace kt;

namespace {

// QlockSpin is the spin lock of a zeroed C kt_qlock, one byte of it, and
// the only way to its waiter list: the accessors require it, so the
// analysis checks every use. It spins as SpinLock does, giving the host CPU
// away now and then: the holder may be a vCPU thread the host preempted.
class KT_CAPABILITY("spinlock") QlockSpin {
 public:
  explicit QlockSpin(kt_qlock* q) : q_(q) {}
  void lock() KT_ACQUIRE() {
    std::atomic_ref<uint8_t> b(q_->lock);
    while (b.exchange(1, std::memory_order_acquire))
      for (unsigned i = 1; b.load(std::memory_order_relaxed); i++) {
        __builtin_ia32_pause();
        if ((i & (kSpinsBeforeYield - 1)) == 0) ::sched_yield();  // the host's
      }
  }
  void unlock() KT_RELEASE() {
    std::atomic_ref<uint8_t>(q_->lock).store(0, std::memory_order_release);
  }

  // The waiters, oldest first, linked through ql_next_.
  KThread* head() const KT_REQUIRES(this) { return static_cast<KThread*>(q_->head); }
  KThread* tail() const KT_REQUIRES(this) { return static_cast<KThread*>(q_->tail); }
  void set_head(KThread* t) KT_REQUIRES(this) { q_->head = t; }
  void set_tail(KThread* t) KT_REQUIRES(this) { q_->tail = t; }
  // locked and owner change under the lock but kt_qlock_held() reads them
  // without it, hence atomics.
  bool locked() const KT_REQUIRES(this) { return __atomic_load_n(&q_->locked, __ATOMIC_RELAXED); }
  uint64_t owner() const KT_REQUIRES(this) { return __atomic_load_n(&q_->owner, __ATOMIC_RELAXED); }
  void set_owner(uint64_t tid) KT_REQUIRES(this) {
    __atomic_store_n(&q_->locked, tid != 0, __ATOMIC_RELAXED);
    __atomic_store_n(&q_->owner, tid, __ATOMIC_RELAXED);
  }

 private:
  static constexpr unsigned kSpinsBeforeYield = 1024;  // SpinLock's
  kt_qlock* q_;
};

class KT_SCOPED_CAPABILITY QlockGuard {
 public:
  explicit QlockGuard(QlockSpin& l) KT_ACQUIRE(l) : l_(l) { l_.lock(); }
  ~QlockGuard() KT_RELEASE() { l_.unlock(); }
  QlockGuard(const QlockGuard&) = delete;
  QlockGuard& operator=(const QlockGuard&) = delete;

 private:
  QlockSpin& l_;
};

// unlink() takes t off a singly-linked list threaded through next, given
// its head, and returns the element before it (nullptr if t was first).
KThread* unlink(KThread** head, KThread* t, KThread* KThread::*next) {
  KThread* prev = nullptr;
  KThread** pp = head;
  while (*pp != t) {
    prev = *pp;
    pp = &((*pp)->*next);
  }
  *pp = t->*next;
  return prev;
}

// keep_interrupt() puts back an interrupt that ended a sleep the waiter won
// anyway (it was handed the lock, or a partner's value): the interrupt is
// not lost, its next interruptible sleep sees it.
void keep_interrupt(KThread* t, int rc) {
  if (rc == EINTR) t->intr_pending_.store(1);
}

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
  // Claim the Rendez. A sleeper that is gone (left behind by a shutdown,
  // the Rendez being a static that outlives the kernel) is no sleeper: its
  // handle is stale, and is replaced like an empty one.
  for (uint64_t cur = 0;;) {
    if (__atomic_compare_exchange_n(&r->sleeper, &cur, me, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED) ||
        cur == me)
      break;
    if (proctab::lookup(cur))
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
  const int flags = mode == QlockMode::kInterruptible ? kSleepIntr : 0;
  QlockSpin ql(q);
  {
    QlockGuard g(ql);
    // Free: take it, even with a note pending.
    if (!ql.locked()) {
      ql.set_owner(t->tid());
      return 0;
    }
    // canqlock fails on a held lock, whoever holds it; only blocking on a
    // lock one holds is a deadlock worth a panic.
    if (mode == QlockMode::kTry) return EBUSY;
    if (ql.owner() == t->tid()) panic("qlock: pid %d '%s' already holds it", t->pid_, t->name_);
    if (mode == QlockMode::kInterruptible && take_interrupt(t)) return EINTR;
    t->ql_next_ = nullptr;
    t->ql_handed_ = false;
    if (KThread* last = ql.tail())
      last->ql_next_ = t;
    else
      ql.set_head(t);
    ql.set_tail(t);
    sleep_setup(&t->slp_, &t->ql_next_, "qlock", flags);
  }
  for (;;) {
    const int rc = sleep_finish(&t->slp_, 0, true);
    QlockGuard g(ql);
    if (t->ql_handed_) {
      keep_interrupt(t, rc);
      return 0;
    }
    if (rc == EINTR) {
      // Still queued: leave the queue without the lock (R8).
      KThread* head = ql.head();
      KThread* prev = unlink(&head, t, &KThread::ql_next_);
      ql.set_head(head);
      if (ql.tail() == t) ql.set_tail(prev);
      return EINTR;
    }
    // A stray wakeup: queue the sleep again and wait for the hand-off.
    sleep_setup(&t->slp_, &t->ql_next_, "qlock", flags);
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
  QlockSpin ql(q);
  QlockGuard g(ql);
  if (!ql.locked() || ql.owner() != t->tid())
    panic("qunlock: pid %d '%s' does not hold the lock", t->pid_, t->name_);
  KThread* next = ql.head();
  if (!next) {
    ql.set_owner(0);
    return;
  }
  // Hand the lock straight to the oldest waiter.
  ql.set_head(next->ql_next_);
  if (!next->ql_next_) ql.set_tail(nullptr);
  ql.set_owner(next->tid());
  next->ql_handed_ = true;
  // Woken under the lock: the waiter re-checks ql_handed_ under it too.
  wakeup_n(&next->ql_next_, 1);
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
      keep_interrupt(t, rc);
      return t->rv_val_;
    }
    if (rc == EINTR) {
      unlink(&rv_table.waiting, t, &KThread::rv_next_);
      return ~uintptr_t(0);
    }
    sleep_setup(&t->slp_, &t->rv_tag_, "rendez", kSleepIntr);
  }
}
