/*
 * kt/c/rendez.h - Plan 9's waiting primitives, in the core so that the
 * Plan 9 face only translates (semantics.md 6.4-6.6). Kernel threads only.
 * All structures are valid when zeroed.
 */
#ifndef KT_C_RENDEZ_H
#define KT_C_RENDEZ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A Rendez: at most one sleeper at a time (a second is a panic). */
struct kt_rendez {
  uint64_t sleeper; /* kt_tid_t of the sleeper, or 0 */
};

/*
 * kt_rendez_sleep() sleeps until cond(arg) is true after a wakeup (cond is
 * evaluated once before sleeping; a wakeup after that is never lost), or
 * timo_ns passes (0: none). With KT_SLEEP_INTR a pending or arriving
 * interrupt wins, even over a true condition. Returns 0, EWOULDBLOCK or
 * EINTR.
 */
int kt_rendez_sleep(struct kt_rendez* r, int (*cond)(void*), void* arg, uint64_t timo_ns,
                    int flags);
/* kt_rendez_wakeup() wakes r's sleeper and returns it (0 if none). */
uint64_t kt_rendez_wakeup(struct kt_rendez* r);

/*
 * A QLock: a sleeping lock whose waiters queue in FIFO order and are handed
 * the lock directly (it never looks free in between).
 */
struct kt_qlock {
  uint64_t owner; /* kt_tid_t of the holder, or 0 */
  void* head;     /* waiters, oldest first */
  void* tail;
  uint32_t locked;
  uint8_t lock; /* private spin lock */
};

void kt_qlock_enter(struct kt_qlock* q); /* not interruptible */
int kt_qlock_try(struct kt_qlock* q);    /* 1 when taken */
void kt_qlock_exit(struct kt_qlock* q);  /* panics unless held */
/*
 * kt_eqlock_enter() is the interruptible qlock: it takes a free lock even with an
 * interrupt pending; otherwise a pending or arriving interrupt returns EINTR
 * without the lock. A waiter is either handed the lock or interrupted, never
 * both (a late interrupt stays pending). 0 or EINTR.
 */
int kt_eqlock_enter(struct kt_qlock* q);
int kt_qlock_held(const struct kt_qlock* q);

/*
 * kt_rendezvous() pairs two kernel threads on tag: the first to arrive
 * sleeps (interruptibly), the second swaps values with it and both return
 * the other's value. An interrupted waiter returns all ones (~0).
 */
uintptr_t kt_rendezvous(uintptr_t tag, uintptr_t value);

#ifdef __cplusplus
}
#endif

#endif /* KT_C_RENDEZ_H */
