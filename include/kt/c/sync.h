/*
 * kt/c/sync.h - sleeping mutexes and condition variables, built on the wait
 * channels of kt/c/sleep.h. Usable from kernel threads and host threads.
 * Both must start zeroed (or be initialised with their _init function).
 */
#ifndef KT_C_SYNC_H
#define KT_C_SYNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A sleeping mutex: not recursive; the owner must unlock it. */
struct kt_mutex {
  uint32_t state; /* 0 free, 1 held, 2 held with sleepers */
  uint32_t kt_pad;
  uint64_t owner; /* kt_tid_t of the holder, or 0 (host thread) */
  const char* name;
};

void kt_mutex_init(struct kt_mutex* m, const char* name);
void kt_mutex_destroy(struct kt_mutex* m); /* panics if held */
void kt_mutex_lock(struct kt_mutex* m);    /* may sleep */
int kt_mutex_trylock(struct kt_mutex* m);  /* 1 when taken */
void kt_mutex_unlock(struct kt_mutex* m);  /* panics unless the caller holds it */
int kt_mutex_owned(const struct kt_mutex* m);

/* A condition variable: waiters re-test their predicate on return. All
 * who wait on it at the same time use the same mutex (as POSIX and the BSDs
 * require); a wait with another mutex while others wait panics. */
struct kt_cv {
  uint32_t waiters;   /* counted under the waiters' mutex */
  uint32_t mutex_tag; /* which mutex they use, while there are waiters */
  const char* wmesg;
};

void kt_cv_init(struct kt_cv* cv, const char* wmesg);
void kt_cv_destroy(struct kt_cv* cv); /* panics if anyone waits */
/* kt_cv_wait*() release m, sleep, and take m again. flags: KT_SLEEP_INTR.
 * timo_ns 0: no timeout. Returns 0, EWOULDBLOCK or EINTR. */
int kt_cv_wait(struct kt_cv* cv, struct kt_mutex* m, int flags, uint64_t timo_ns);
void kt_cv_signal(struct kt_cv* cv);
void kt_cv_broadcast(struct kt_cv* cv);
int kt_cv_has_waiters(const struct kt_cv* cv);

#ifdef __cplusplus
}
#endif

#endif /* KT_C_SYNC_H */
