/*
 * sys/systm.h (OpenBSD face): tsleep(9) and wakeup(9), the clock rate hz,
 * and the sleep priorities and flags OpenBSD keeps in sys/param.h (this face
 * does not shadow the host's sys/param.h).
 */
#ifndef _KT_OPENBSD_SYS_SYSTM_H_
#define _KT_OPENBSD_SYS_SYSTM_H_

#include <sys/_kt_openbsd.h>

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

#define PRIMASK 0x0ff
#define PCATCH 0x100    /* an interrupt (kt_signal, a note) ends the sleep: EINTR */
#define PNORELOCK 0x200 /* msleep: do not take the mutex back */

#ifndef EWOULDBLOCK
#define EWOULDBLOCK EAGAIN
#endif

__KT_OB_BEGIN
/* Ticks per second: 100 unless set before kt_boot. */
extern int hz __KT_OB(hz);

int tsleep(const volatile void* ident, int priority, const char* wmesg, int timo) __KT_OB(tsleep);
void wakeup(const volatile void* ident) __KT_OB(wakeup);
void wakeup_one(const volatile void* ident) __KT_OB(wakeup_one);
__KT_OB_END

#endif /* !_KT_OPENBSD_SYS_SYSTM_H_ */
