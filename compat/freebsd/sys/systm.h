/*
 * sys/systm.h (FreeBSD face): sleep(9) - tsleep, msleep, wakeup,
 * wakeup_one - the clock rate hz, and the sleep priorities and flags that
 * FreeBSD keeps in sys/param.h and sys/priority.h (this face does not shadow
 * the host's sys/param.h).
 */
#ifndef _KT_FREEBSD_SYS_SYSTM_H_
#define _KT_FREEBSD_SYS_SYSTM_H_

#include <stdio.h>
#include <sys/_kt_freebsd.h>

/*
 * Sleep priorities (sys/priority.h of 5.x-7.x); lower is more urgent. A
 * kernel thread keeps the priority it runs at: the priority part of a
 * sleep's pri is accepted and ignored.
 */
#define PRI_MIN_KERN 64
#define PRI_MIN_TIMESHARE 160
#define PSWP 64
#define PVM 68
#define PINOD 72
#define PRIBIO 76
#define PVFS 80
#define PZERO 84
#define PSOCK 88
#define PWAIT 92
#define PCONFIG 96
#define PLOCK 100
#define PPAUSE 104
#define PUSER 160

/* Flags or-ed into a sleep priority (sys/param.h). */
#define PRIMASK 0x0ff
#define PCATCH 0x100 /* a signal (kt_signal, a note) ends the sleep: EINTR */
#define PDROP 0x200  /* msleep: do not take the mutex back */

#ifndef EWOULDBLOCK
#define EWOULDBLOCK EAGAIN
#endif
#ifndef ERESTART
#define ERESTART (-1)
#endif

/*
 * The face's own names for sleep(9) and pause(9), as FreeBSD declares them.
 * FreeBSD's pause(const char *, int) is not the C library's pause(void):
 * a file that includes <unistd.h> too cannot use this header (the compiler
 * reports conflicting types). Kernel code never does; put host code in
 * another translation unit (the link names never meet).
 */
__KT_FB_BEGIN
/*
 * Ticks per second of every timeout of this face: 1000 (FreeBSD's default).
 * Set it before kt_boot; it is read at each call, and must stay positive.
 */
extern int hz __KT_FB(hz);

int tsleep(const void* chan, int pri, const char* wmesg, int timo) __KT_FB(tsleep);
int msleep(const void* chan, struct mtx* mtx, int pri, const char* wmesg, int timo) __KT_FB(msleep);
void wakeup(const void* chan) __KT_FB(wakeup);
void wakeup_one(const void* chan) __KT_FB(wakeup_one);
int pause(const char* wmesg, int timo) __KT_FB(pause);
__KT_FB_END

/* Interrupt priority levels: a hosted kernel has no interrupts to mask. */
static inline int splbio(void) { return 0; }
static inline int splhigh(void) { return 0; }
static inline int splnet(void) { return 0; }
static inline int spltty(void) { return 0; }
static inline void splx(int s) { (void)s; }

#endif /* !_KT_FREEBSD_SYS_SYSTM_H_ */
