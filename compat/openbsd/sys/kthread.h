/*
 * sys/kthread.h (OpenBSD face) - kthread(9) of OpenBSD 5.7
 * (kern_kthread.c 1.38; shared/design/semantics.md 4.1-4.3).
 *
 * Deviations from the 5.7 code, decided in semantics.md 9-10:
 *   - a NULL func or name is EINVAL and creates nothing (5.7 ran the
 *     user-return path, or faulted);
 *   - a NULL arg is passed to func as NULL (5.7 passed the new struct proc
 *     instead);
 *   - the name and *newpp are set before the thread first runs (5.7 queued
 *     the thread first, R1);
 *   - returning from func is fatal, and the panic names the thread (5.7 fell
 *     into the user-return path);
 *   - kthread_exit outside a kernel thread (a host thread, or proc0's
 *     context, where deferred callbacks run) is fatal (5.7 ended the calling
 *     process);
 *   - kthread_create before kt_boot is fatal: that is what
 *     kthread_create_deferred is for (5.7: proc0 always exists);
 *   - kthread_create_deferred(NULL, ...) is fatal when it is called, not
 *     when the queue runs.
 * Kernel threads have no priority argument: they run at KT_PRI_KERNEL, and,
 * as in 5.7, hold the kernel lock while they run (a sleep lets it go).
 * EAGAIN is the core's maxproc limit (kt_config.maxproc). The stack is the
 * u-area, USPACE (20 KiB), nominally: what is mapped is the kernel's default
 * when that is larger (semantics.md 10.11).
 */
#ifndef _KT_OPENBSD_SYS_KTHREAD_H_
#define _KT_OPENBSD_SYS_KTHREAD_H_

#include <sys/_kt_openbsd.h>
#include <sys/proc.h>

__KT_OB_BEGIN
/*
 * kthread_create() creates a kernel thread running func(arg), named name
 * (at most MAXCOMLEN characters kept), and stores its struct proc in *newpp
 * when newpp is not NULL. Returns 0, EINVAL or EAGAIN. From a host thread or
 * a kernel thread, once the system is up. May sleep.
 */
int kthread_create(void (*func)(void*), void* arg, struct proc** newpp, const char* name)
    __KT_OB(kthread_create);
/* kthread_exit() ends the calling kernel thread; a nonzero ecode is printed. */
void kthread_exit(int ecode) __KT_OB(kthread_exit) __attribute__((noreturn));
/*
 * kthread_create_deferred() calls func(arg) once threads can be created:
 * queued until kt_boot drains the queue in registration order, called at
 * once (in the caller's context) when the system is up or the queue is being
 * drained (R10).
 */
void kthread_create_deferred(void (*func)(void*), void* arg) __KT_OB(kthread_create_deferred);
__KT_OB_END

#endif /* !_KT_OPENBSD_SYS_KTHREAD_H_ */
