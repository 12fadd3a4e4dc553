/*
 * sys/kthread.h (FreeBSD face) - kthread(9) of FreeBSD 5.x-7.x.
 * Deviations from FreeBSD, all decided in shared/design/semantics.md 9-10:
 *   - a NULL func or fmt, or a flag bit rfork(2) does not define, is EINVAL;
 *   - kthread_suspend of oneself with timo 0 is EDEADLK (FreeBSD hangs);
 *   - kthread_suspend and kthread_resume of a kthread that has exited are
 *     ESRCH (FreeBSD: a reused struct proc); kthread_suspend_check of one,
 *     or of a pointer that is no struct proc, is fatal;
 *   - kthread_exit outside a kthread (a host thread, proc0) is fatal;
 *   - kthread_run() is an extension that starts an RFSTOPPED thread.
 * As in FreeBSD: kthread_create before the kernel is up panics "called too
 * soon"; at the maxproc limit it prints "maxproc limit exceeded..." (at most
 * once a second) and sleeps kthread_eagain_delay_ms before EAGAIN; RFHIGHPID
 * gives a pid of 10 or more without moving the pid cursor; the stack is
 * `pages' pages (nominal: the mapping is at least the kernel's default).
 */
#ifndef _KT_FREEBSD_SYS_KTHREAD_H_
#define _KT_FREEBSD_SYS_KTHREAD_H_

#include <sys/_kt_freebsd.h>
#include <sys/proc.h>

/* rfork(2) flags, as FreeBSD numbers them. */
#define RFNAMEG (1 << 0)
#define RFENVG (1 << 1)
#define RFFDG (1 << 2)
#define RFNOTEG (1 << 3)
#define RFPROC (1 << 4)
#define RFMEM (1 << 5)
#define RFNOWAIT (1 << 6)
#define RFCNAMEG (1 << 10)
#define RFCENVG (1 << 11)
#define RFCFDG (1 << 12)
#define RFTHREAD (1 << 13)
#define RFSIGSHARE (1 << 14)
#define RFLINUXTHPN (1 << 16)
#define RFSTOPPED (1 << 17)
#define RFHIGHPID (1 << 18)
#define RFPPWAIT ((int)(1u << 31)) /* FreeBSD writes 1<<31, which overflows an int */
#define RFKERNELONLY RFSTOPPED

/* A kernel process started from SYSINIT by kproc_start. */
struct kproc_desc {
  char* arg0;                  /* name */
  void (*func)(void);          /* main function */
  struct proc** global_procpp; /* where to store the new process, or NULL */
};

__KT_FB_BEGIN
void kproc_start(const void* udata) __KT_FB(kproc_start);
void kproc_shutdown(void* arg, int howto) __KT_FB(kproc_shutdown);
int kthread_create(void (*func)(void*), void* arg, struct proc** newpp, int flags, int pages,
                   const char* fmt, ...) __KT_FB(kthread_create)
    __attribute__((format(printf, 6, 7)));
void kthread_exit(int ecode) __KT_FB(kthread_exit) __attribute__((noreturn));
int kthread_resume(struct proc* p) __KT_FB(kthread_resume);
int kthread_suspend(struct proc* p, int timo) __KT_FB(kthread_suspend);
void kthread_suspend_check(struct proc* p) __KT_FB(kthread_suspend_check);

/* Extension: start a thread created with RFSTOPPED. 0, or ESRCH (running,
 * started already, exited, or no kthread). */
int kthread_run(struct proc* p) __KT_FB(kthread_run);

/* The seconds kproc_shutdown waits (sysctl kern.shutdown.kproc_shutdown_wait). */
extern int kproc_shutdown_wait __KT_FB(kproc_shutdown_wait);
/* Milliseconds kthread_create sleeps before returning EAGAIN (FreeBSD: hz/2
 * ticks); 0 or less returns at once. */
extern int kthread_eagain_delay_ms __KT_FB(kthread_eagain_delay_ms);
__KT_FB_END

#endif /* !_KT_FREEBSD_SYS_KTHREAD_H_ */
