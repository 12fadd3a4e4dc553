/*
 * sys/systm.h (OpenBSD face): tsleep(9) of OpenBSD 5.7 - tsleep, msleep,
 * wakeup, wakeup_n, wakeup_one - the clock rate hz, and the sleep priorities
 * and flags OpenBSD keeps in sys/param.h (this face does not shadow the
 * host's sys/param.h). semantics.md 4.4.
 *
 * timo counts ticks of hz: 0 is no timeout, a negative count one tick
 * (semantics.md 10.14). PCATCH lets an interrupt (kt_signal, a note) end the
 * sleep with EINTR, also one that came before the sleep began; ERESTART is
 * never returned (kernel threads have no system call to restart).
 * Deviations: the priority part of `priority' is ignored (a kernel thread
 * keeps its priority); a NULL ident, a NULL msleep mutex, or a sleep from a
 * host thread is fatal. rwsleep is not provided (no rwlock(9)).
 */
#ifndef _KT_OPENBSD_SYS_SYSTM_H_
#define _KT_OPENBSD_SYS_SYSTM_H_

#include <sys/_kt_openbsd.h>

/* Sleep priorities (sys/param.h); lower is more urgent. */
#define PSWP 0
#define PVM 4
#define PINOD 8
#define PRIBIO 16
#define PVFS 20
#define PZERO 22
#define PSOCK 24
#define PWAIT 32
#define PLOCK 36
#define PPAUSE 40
#define PUSER 50
#define MAXPRI 127

/* Flags or-ed into a sleep priority. */
#define PRIMASK 0x0ff
#define PCATCH 0x100    /* an interrupt ends the sleep: EINTR */
#define PNORELOCK 0x200 /* msleep: do not take the mutex back */

#ifndef EWOULDBLOCK
#define EWOULDBLOCK EAGAIN
#endif

__KT_OB_BEGIN
/*
 * Ticks per second of every timeout of this face: 100 (OpenBSD's HZ). Set it
 * before kt_boot; it is read at each call, and must stay positive.
 */
extern int hz __KT_OB(hz);

int tsleep(const volatile void* ident, int priority, const char* wmesg, int timo) __KT_OB(tsleep);
int msleep(const volatile void* ident, struct mutex* mtx, int priority, const char* wmesg, int timo)
    __KT_OB(msleep);
void wakeup(const volatile void* ident) __KT_OB(wakeup);
void wakeup_n(const volatile void* ident, int n) __KT_OB(wakeup_n);
void wakeup_one(const volatile void* ident) __KT_OB(wakeup_one);
__KT_OB_END

#endif /* !_KT_OPENBSD_SYS_SYSTM_H_ */
