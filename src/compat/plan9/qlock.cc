// Plan 9 qlock(9) and the rendezvous kernel call (semantics.md 6.5, 6.6) on
// the core's FIFO QLock with hand-off, interruptible eqlock and tag
// rendezvous. An interrupted eqlock raises error(Eintr) without the lock.
#include <cerrno>

#include "kt/c/rendez.h"
#include "plan9.h"

// qlock() waits its turn for q; notes do not interrupt it. Kernel threads only.
extern "C" void qlock(QLock* q) { kt_qlock_enter(&q->kt); }

// canqlock() takes q if it is free: 1, else 0 (also when the caller holds it).
extern "C" int canqlock(QLock* q) { return kt_qlock_try(&q->kt); }

// qunlock() hands q to the oldest waiter, or frees it. The caller must hold it.
extern "C" void qunlock(QLock* q) { kt_qlock_exit(&q->kt); }

// eqlock() is qlock that a note interrupts (9front): a free lock is taken
// even with a note pending; otherwise a pending or arriving note raises
// "interrupted", and the lock is not held. A waiter is handed the lock or
// interrupted, never both (R8): a note that comes too late stays pending.
extern "C" void eqlock(QLock* q) {
  plan9::need_up("eqlock");
  if (kt_eqlock_enter(&q->kt) == EINTR) error(Eintr);
}

// rendezvous() pairs two kernel threads on tag and swaps their values; an
// interrupted waiter returns ~0.
extern "C" uintptr rendezvous(uintptr tag, uintptr value) { return kt_rendezvous(tag, value); }
