/*
 * sys/kthread.h (OpenBSD face) - kthread(9) of OpenBSD 5.7.
 * Deviations from the 5.7 code, decided in shared/design/semantics.md 9-10:
 *   - a NULL func or name is EINVAL (5.7 ran the user-return path, or
 *     faulted);
 *   - a NULL arg is passed as NULL (5.7 passed the new struct proc instead);
 *   - the name and *newpp are set before the thread first runs (5.7 queued
 *     the thread first);
 *   - returning from func is fatal (5.7 fell into the user-return path).
 */
#ifndef _KT_OPENBSD_SYS_KTHREAD_H_
#define _KT_OPENBSD_SYS_KTHREAD_H_

#include <sys/_kt_openbsd.h>
#include <sys/proc.h>

__KT_OB_BEGIN
int kthread_create(void (*func)(void*), void* arg, struct proc** newpp, const char* name)
    __KT_OB(kthread_create);
void kthread_exit(int ecode) __KT_OB(kthread_exit) __attribute__((noreturn));
void kthread_create_deferred(void (*func)(void*), void* arg) __KT_OB(kthread_create_deferred);
__KT_OB_END

#endif /* !_KT_OPENBSD_SYS_KTHREAD_H_ */
