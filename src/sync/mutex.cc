// Sleeping mutexes and condition variables over the sleep queues.
//
// The mutex word is 0 (free), 1 (held) or 2 (held, and someone may sleep).
// The uncontended paths are one atomic operation each; a contender marks
// the word 2, queues itself on the mutex's wait channel, and only then checks
// the word again, so an unlock between the check and the sleep finds it
// queued.
#include <atomic>
#include <cerrno>

#include "base/assert.h"
#include "base/clock.h"
#include "core/sched.h"
#include "core/thread.h"
#include "kt/c/sleep.h"
#include "kt/c/sync.h"
#include "sync/sleepq.h"

using namespace kt;

namespace {

std::atomic_ref<uint32_t> word(kt_mutex* m) { return std::atomic_ref<uint32_t>(m->state); }

uint64_t self_id() {
  KThread* t = curthread();
  return t ? t->tid() : 0;
}

void lock_slow(kt_mutex* m) {
  auto w = word(m);
  for (;;) {
    if (w.exchange(2, std::memory_order_acquire) == 0) return;
    Sleeper* s = current_sleeper();
    sleep_setup(s, m, m->name ? m->name : "mutex", 0);
    const bool still_held = w.load(std::memory_order_seq_cst) == 2;
    sleep_finish(s, 0, still_held);
  }
}

// The waiter count is a hint that lets a signal with nobody waiting skip
// the sleep queue. Waiters change it only while they hold the mutex (the
// decrement comes after the mutex is taken back), so a plain read-modify-
// write suffices: no locked instruction. That needs every waiter to hold the
// same mutex, as POSIX and the BSDs require; the first waiter tags the
// condition variable with it, and a waiter with another one panics instead
// of racing the count (and losing a wakeup). A signaller holding the mutex
// sees every waiter that let it go before; one that does not hold it has no
// such promise from any condition variable. Counted a moment too long, it
// costs a signal one look at an empty queue.
uint32_t tag_of(const kt_mutex* m) {
  const auto a = reinterpret_cast<uintptr_t>(m) >> 3;  // mutexes are 8-byte aligned
  return uint32_t(a ^ (a >> 32)) | 1;                  // all of the address, never 0
}

void add_waiter(kt_cv* cv, const kt_mutex* m) {
  auto w = std::atomic_ref<uint32_t>(cv->waiters);
  auto tag = std::atomic_ref<uint32_t>(cv->mutex_tag);
  const uint32_t n = w.load(std::memory_order_relaxed);
  if (n == 0)
    tag.store(tag_of(m), std::memory_order_relaxed);
  else if (KT_UNLIKELY(tag.load(std::memory_order_relaxed) != tag_of(m)))
    panic("cv_wait on '%s' with mutex '%s' while others wait on it with another mutex",
          cv->wmesg ? cv->wmesg : "?", m->name ? m->name : "?");
  w.store(n + 1, std::memory_order_relaxed);
}

void drop_waiter(kt_cv* cv) {
  auto w = std::atomic_ref<uint32_t>(cv->waiters);
  w.store(w.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

}  // namespace

extern "C" {

void kt_mutex_init(struct kt_mutex* m, const char* name) {
  m->state = 0;
  m->owner = 0;
  m->name = name;
}

void kt_mutex_destroy(struct kt_mutex* m) {
  if (word(m).load(std::memory_order_relaxed) != 0)
    panic("mutex '%s' destroyed while held", m->name ? m->name : "?");
}

void kt_mutex_lock(struct kt_mutex* m) {
  uint32_t free = 0;
  if (!word(m).compare_exchange_strong(free, 1, std::memory_order_acquire)) lock_slow(m);
  std::atomic_ref<uint64_t>(m->owner).store(self_id(), std::memory_order_relaxed);
}

int kt_mutex_trylock(struct kt_mutex* m) {
  uint32_t free = 0;
  if (!word(m).compare_exchange_strong(free, 1, std::memory_order_acquire)) return 0;
  std::atomic_ref<uint64_t>(m->owner).store(self_id(), std::memory_order_relaxed);
  return 1;
}

void kt_mutex_unlock(struct kt_mutex* m) {
  auto owner = std::atomic_ref<uint64_t>(m->owner);
  if (KT_UNLIKELY(word(m).load(std::memory_order_relaxed) == 0 ||
                  owner.load(std::memory_order_relaxed) != self_id()))
    panic("mutex '%s' released by a context that does not hold it", m->name ? m->name : "?");
  owner.store(0, std::memory_order_relaxed);
  if (word(m).exchange(0, std::memory_order_release) == 2) {
    wakeup_n(m, 1);
    preempt();  // the waiter it woke may be more urgent
  }
}

int kt_mutex_owned(const struct kt_mutex* m) {
  auto* mm = const_cast<kt_mutex*>(m);
  return word(mm).load(std::memory_order_relaxed) != 0 &&
         std::atomic_ref<uint64_t>(mm->owner).load(std::memory_order_relaxed) == self_id();
}

void kt_cv_init(struct kt_cv* cv, const char* wmesg) {
  cv->waiters = 0;
  cv->mutex_tag = 0;
  cv->wmesg = wmesg;
}

void kt_cv_destroy(struct kt_cv* cv) {
  if (std::atomic_ref<uint32_t>(cv->waiters).load(std::memory_order_relaxed) != 0)
    panic("condition variable '%s' destroyed with waiters", cv->wmesg ? cv->wmesg : "?");
}

int kt_cv_wait(struct kt_cv* cv, struct kt_mutex* m, int flags, uint64_t timo_ns) {
  if (!kt_mutex_owned(m))
    panic("cv_wait on '%s' without holding mutex '%s'", cv->wmesg ? cv->wmesg : "?",
          m->name ? m->name : "?");
  const uint64_t deadline = timo_ns ? now_ns() + timo_ns : 0;
  Sleeper* s = current_sleeper();
  // Queue first, then let go of the mutex: a signal sent by whoever takes
  // the mutex next finds us on the queue.
  sleep_setup(s, cv, cv->wmesg ? cv->wmesg : "cv", (flags & KT_SLEEP_INTR) ? kSleepIntr : 0);
  add_waiter(cv, m);
  kt_mutex_unlock(m);
  const int r = sleep_finish(s, deadline, true);
  kt_mutex_lock(m);
  drop_waiter(cv);
  return r;
}

void kt_cv_signal(struct kt_cv* cv) {
  if (std::atomic_ref<uint32_t>(cv->waiters).load(std::memory_order_relaxed)) {
    wakeup_n(cv, 1);
    preempt();
  }
}

void kt_cv_broadcast(struct kt_cv* cv) {
  if (std::atomic_ref<uint32_t>(cv->waiters).load(std::memory_order_relaxed)) {
    wakeup_n(cv, -1);
    preempt();
  }
}

int kt_cv_has_waiters(const struct kt_cv* cv) {
  return std::atomic_ref<uint32_t>(const_cast<kt_cv*>(cv)->waiters)
             .load(std::memory_order_relaxed) != 0;
}

}  // extern "C"
