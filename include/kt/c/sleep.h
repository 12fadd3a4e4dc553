/*
 * kt/c/sleep.h - wait channels: the one mechanism every wait is built on.
 *
 * A thread sleeps on a wait channel (any address) until someone wakes that
 * channel, its timeout expires, or (for an interruptible sleep) it is
 * interrupted. Wakeups are not remembered: test your condition in a loop,
 * under an interlock the waker also takes, or with kt_sleep_setup() /
 * kt_sleep_finish() around the test.
 */
#ifndef KT_C_SLEEP_H
#define KT_C_SLEEP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KT_SLEEP_INTR 0x1 /* an interrupt (note, signal) ends the sleep */

/*
 * kt_sleep() sleeps the caller on wchan for at most timo_ns nanoseconds
 * (0: no timeout). wmesg is shown by ps and must outlive the sleep.
 * Returns 0 when woken, EWOULDBLOCK on timeout, EINTR when interrupted.
 * Must be called from a kernel thread; wchan must not be NULL.
 */
int kt_sleep(const void* wchan, const char* wmesg, int flags, uint64_t timo_ns);

/*
 * Two-phase sleep, for callers whose condition is protected by no lock the
 * waker takes: kt_sleep_setup() queues the caller on wchan, the caller tests
 * its condition, then kt_sleep_finish(do_sleep) blocks (do_sleep != 0) or
 * leaves the queue. A wakeup between the two is never lost.
 */
void kt_sleep_setup(const void* wchan, const char* wmesg, int flags);
int kt_sleep_finish(uint64_t timo_ns, int do_sleep);

/*
 * kt_sleep_unless() sleeps like kt_sleep() unless done(arg) returns nonzero,
 * testing done under the wait channel's own lock, so that a waker that makes
 * done true before its kt_wakeup() is never missed: the one-lock form of the
 * two-phase sleep (FreeBSD's sleepq_lock, test, sleepq_wait). done must be
 * quick and must not sleep, wake or take a lock. Returns 0 at once when done
 * holds, else as kt_sleep().
 */
int kt_sleep_unless(const void* wchan, const char* wmesg, int flags, uint64_t timo_ns,
                    int (*done)(void*), void* arg);

/* kt_wakeup() wakes every sleeper on wchan; kt_wakeup_one() the most urgent,
 * oldest first. They return how many were woken. Never sleep. */
int kt_wakeup(const void* wchan);
int kt_wakeup_one(const void* wchan);

/*
 * kt_interrupt() marks t interrupted and ends its interruptible sleep, now or
 * at its next one (the mark stays until an interruptible sleep consumes it).
 * 0, or ESRCH for a stale handle.
 */
int kt_interrupt(uint64_t t);

#ifdef __cplusplus
}
#endif

#endif /* KT_C_SLEEP_H */
