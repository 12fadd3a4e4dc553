/*
 * sys/kthread.h (NetBSD face) - kthread(9) of NetBSD.
 * Decisions where NetBSD leaves things undefined (semantics.md 9-10):
 *   - NULL func or fmt, an unknown flag, KTHREAD_INTR without
 *     KTHREAD_MPSAFE, KTHREAD_MUSTJOIN without newlp, a priority that is
 *     neither PRI_NONE nor in 0..223, a ci that is not a cpu_info: EINVAL;
 *   - returning from func is fatal (NetBSD: undefined);
 *   - kthread_join: EINVAL for a thread not MUSTJOIN or already being
 *     joined, or a pointer that is no kthread's LWP (lwp0 included), ESRCH
 *     once it was joined or has gone, EDEADLK for oneself;
 *   - kthread_create before kt_boot, and kthread_exit outside a kthread
 *     (a host thread, lwp0), are fatal;
 *   - *newlp is set before the thread can run (NetBSD sets it after);
 *   - kthread_run() is an extension that starts a KTHREAD_IDLE thread.
 * The stack is the u-area, USPACE (12 KiB), nominally: what is mapped is the
 * kernel's default when that is larger (semantics.md 10.11).
 * Priority mapping: the core's scale is 0..255 with 0 most urgent; a NetBSD
 * priority p (0..223, higher more urgent) runs at 223 - p.
 */
#ifndef _KT_NETBSD_SYS_KTHREAD_H_
#define _KT_NETBSD_SYS_KTHREAD_H_

#include <sys/_kt_netbsd.h>
#include <sys/cpu.h>
#include <sys/lwp.h>

#define KTHREAD_IDLE 0x01
#define KTHREAD_MPSAFE 0x02
#define KTHREAD_INTR 0x04
#define KTHREAD_TS 0x08
#define KTHREAD_MUSTJOIN 0x10

__KT_NB_BEGIN
int kthread_create(pri_t pri, int flags, struct cpu_info* ci, void (*func)(void*), void* arg,
                   lwp_t** newlp, const char* fmt, ...) __KT_NB(kthread_create)
    __attribute__((format(printf, 7, 8)));
void kthread_exit(int ecode) __KT_NB(kthread_exit) __attribute__((noreturn));
int kthread_join(lwp_t* l) __KT_NB(kthread_join);
int kthread_fpu_enter(void) __KT_NB(kthread_fpu_enter);
void kthread_fpu_exit(int s) __KT_NB(kthread_fpu_exit);

/* Extension: start a thread created with KTHREAD_IDLE. 0, or ESRCH (running,
 * started already, gone, or no kthread's LWP). */
int kthread_run(lwp_t* l) __KT_NB(kthread_run);
__KT_NB_END

#endif /* !_KT_NETBSD_SYS_KTHREAD_H_ */
