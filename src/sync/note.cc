// Notes (Plan 9 postnote), AIX-style signals, and Broken threads.
#include "sync/note.h"

#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "base/spinlock.h"
#include "core/lifecycle.h"
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

int note_post(KThread* t, const char* text, int flag) {
  int queued = 0;
  {
    SpinGuard g(t->lock_);
    if (!t->notes_) t->notes_ = new NoteQueue;  // once per descriptor, then reused
    NoteQueue* nq = t->notes_;
    // A system note replaces whatever was pending: a kernel thread has no
    // note handler to give the queue to (Plan 9 postnote).
    if (flag != KT_NOTE_USER) nq->n = 0;
    if (nq->n < KT_NNOTE) {
      NoteQueue::Note& note = nq->q[nq->n++];
      strncpy(note.text, text ? text : "", KT_ERRMAX - 1);
      note.text[KT_ERRMAX - 1] = '\0';
      note.flag = flag;
      queued = 1;
    }
  }
  // Interrupt even when the text was dropped: the manual page's contract.
  interrupt(t);
  return queued;
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
  KThread* t = proctab::lookup(tid);
  if (!t) return -1;
  return note_post(t, text, flag);
}

extern "C" int kt_note_take(char* buf, int* flag) {
  KThread* t = curthread();
  if (!t) panic("kt_note_take: called from a host thread");
  return note_take(t, buf, flag) ? 1 : 0;
}

extern "C" int kt_note_count(uint64_t tid) {
  KThread* t = proctab::lookup(tid);
  if (!t) return -1;
  SpinGuard g(t->lock_);
  return t->notes_ ? t->notes_->n : 0;
}

extern "C" void kt_thread_break(int code) { break_self(code); }

extern "C" int kt_signal(uint64_t tid, int sig) {
  if (sig < 1 || sig > 64) return EINVAL;
  KThread* t = proctab::lookup(tid);
  if (!t) return ESRCH;
  const uint64_t bit = uint64_t(1) << (sig - 1);
  t->sigpending_.fetch_or(bit, std::memory_order_seq_cst);
  if (!(t->sigmask_.load(std::memory_order_seq_cst) & bit)) interrupt(t);
  return 0;
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
  KThread* t = proctab::lookup(tid);
  return t ? t->sigpending_.load(std::memory_order_relaxed) : 0;
}
