// Notes (Plan 9 postnote), AIX-style signals, and Broken threads.
#include "sync/note.h"

#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "base/spinlock.h"
#include "core/kernel.h"
#include "core/lifecycle.h"
#include "core/sched.h"
#include "md/fpu.h"
#include "sync/sleepq.h"

namespace kt {
namespace {

// Broken threads, oldest first. At most KT_NBROKEN are kept.
struct BrokenList {
  SpinLock lock;
  kt_tid_t t[KT_NBROKEN] KT_GUARDED_BY(lock) = {};
  unsigned n KT_GUARDED_BY(lock) = 0;
};
BrokenList broken;

}  // namespace

void note_reset(KThread* t) {
  SpinGuard g(t->lock_);
  if (t->notes_) t->notes_->n = 0;
}

namespace {

enum class Posted { kQueued, kDropped, kNeedQueue };

// post_locked() queues text on t and interrupts it, both under t's lock_,
// so the descriptor cannot be retired and handed to another thread in
// between. A descriptor's first note needs a queue, taken from spare: the
// caller allocates it before taking the lock and tries again.
Posted post_locked(KThread* t, const char* text, int flag, NoteQueue*& spare)
    KT_REQUIRES(t->lock_) {
  if (!t->notes_) {
    if (!spare) return Posted::kNeedQueue;
    t->notes_ = spare;  // kept with the descriptor from now on
    spare = nullptr;
  }
  NoteQueue* nq = t->notes_;
  // A system note replaces whatever was pending: a kernel thread has no
  // note handler to give the queue to (Plan 9 postnote).
  if (flag != KT_NOTE_USER) nq->n = 0;
  bool queued = false;
  if (nq->n < KT_NNOTE) {
    NoteQueue::Note& note = nq->q[nq->n++];
    strncpy(note.text, text ? text : "", KT_ERRMAX - 1);
    note.text[KT_ERRMAX - 1] = '\0';
    note.flag = flag;
    queued = true;
  }
  // Interrupt even when the text was dropped: the manual page's contract.
  interrupt(t);
  return queued ? Posted::kQueued : Posted::kDropped;
}

}  // namespace

int note_post(KThread* t, const char* text, int flag) {
  NoteQueue* spare = nullptr;
  for (;;) {
    Posted p;
    {
      SpinGuard g(t->lock_);
      p = post_locked(t, text, flag, spare);
    }
    if (p != Posted::kNeedQueue) {
      delete spare;
      return p == Posted::kQueued;
    }
    spare = new NoteQueue;
  }
}

bool note_take(KThread* t, char* buf, int* flag) {
  SpinGuard g(t->lock_);
  NoteQueue* nq = t->notes_;
  if (!nq || nq->n == 0) return false;
  if (buf) memcpy(buf, nq->q[0].text, KT_ERRMAX);
  if (flag) *flag = nq->q[0].flag;
  memmove(&nq->q[0], &nq->q[1], sizeof(NoteQueue::Note) * size_t(nq->n - 1));
  nq->n--;
  return true;
}

void break_self(int code) {
  KThread* t = curthread();
  if (!t) panic("kt_thread_break: called from a host thread");
  // A Broken thread never ends its FPU sections: end them here, so the next
  // thread on this host thread finds nothing computed inside.
  if (t->fpu_depth_) {
    t->fpu_depth_ = 0;
    md::fpu_wipe();
  }
  kt_tid_t evict = 0;
  {
    SpinGuard g(broken.lock);
    // Entries of threads that are gone (released by a shutdown) hold no slot.
    unsigned live = 0;
    for (unsigned i = 0; i < broken.n; i++)
      if (proctab::lookup(broken.t[i])) broken.t[live++] = broken.t[i];
    broken.n = live;
    if (broken.n == KT_NBROKEN) {
      evict = broken.t[0];
      memmove(&broken.t[0], &broken.t[1], sizeof(kt_tid_t) * (KT_NBROKEN - 1));
      broken.n--;
    }
    broken.t[broken.n++] = t->tid();
  }
  // The oldest Broken thread continues dying to make room. Every Broken
  // thread sleeps on the list and checks whether it is still on it.
  if (evict) wakeup_n(&broken, -1);
  for (;;) {
    bool listed = false;
    {
      SpinGuard g(broken.lock);
      for (unsigned i = 0; i < broken.n; i++) listed |= broken.t[i] == t->tid();
    }
    if (!listed) break;
    sleep_on(&broken, "broken", kSleepBroken, 0);
  }
  thread_exit(code);
}

}  // namespace kt

using namespace kt;

extern "C" int kt_note_post(uint64_t tid, const char* text, int flag) {
  NoteQueue* spare = nullptr;
  for (;;) {
    Posted p = Posted::kDropped;
    const bool live = with_live(tid, [&](KThread* t) {
      t->lock_.assert_held();
      p = post_locked(t, text, flag, spare);
    });
    if (!live || p != Posted::kNeedQueue) {
      delete spare;
      preempt();  // a primitive's preemption point: the interrupted may be more urgent
      return live ? p == Posted::kQueued : -1;
    }
    spare = new NoteQueue;
  }
}

extern "C" int kt_note_take(char* buf, int* flag) {
  KThread* t = curthread();
  if (!t) panic("kt_note_take: called from a host thread");
  return note_take(t, buf, flag) ? 1 : 0;
}

extern "C" int kt_note_count(uint64_t tid) {
  int n = -1;
  with_live(tid, [&](KThread* t) {
    t->lock_.assert_held();
    n = t->notes_ ? t->notes_->n : 0;
  });
  return n;
}

extern "C" void kt_thread_break(int code) { break_self(code); }

extern "C" int kt_signal(uint64_t tid, int sig) {
  if (sig < 1 || sig > 64) return EINVAL;
  const uint64_t bit = uint64_t(1) << (sig - 1);
  // Under the target's lock_, so a stale handle never signals its slot's
  // next thread. A thread not started yet keeps it pending (AIX TSIDL): its
  // start, which leaves kIdle under the same lock, looks at it against the
  // mask it starts with.
  const bool live = with_live(tid, [&](KThread* t) {
    t->lock_.assert_held();
    t->sigpending_.fetch_or(bit, std::memory_order_seq_cst);
    if (t->state_.load(std::memory_order_relaxed) != ThreadState::kIdle &&
        !(t->sigmask_.load(std::memory_order_seq_cst) & bit))
      interrupt(t);
  });
  preempt();
  return live ? 0 : ESRCH;
}

extern "C" uint64_t kt_sigmask(uint64_t mask) {
  KThread* t = curthread();
  if (!t) panic("kt_sigmask: called from a host thread");
  const uint64_t old = t->sigmask_.exchange(mask, std::memory_order_seq_cst);
  // A signal that was blocked and is now let through interrupts at once.
  if (t->sigpending_.load(std::memory_order_seq_cst) & ~mask) interrupt(t);
  return old;
}

extern "C" uint64_t kt_sigpending(uint64_t tid) {
  uint64_t pending = 0;
  with_live(tid, [&](KThread* t) { pending = t->sigpending_.load(std::memory_order_relaxed); });
  return pending;
}
