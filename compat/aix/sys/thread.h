/*
 * sys/thread.h (AIX face) - kernel-only threads: thread_create,
 * kthread_start, thread_terminate, thread_self, kthread_kill, and the
 * thread states.
 *
 * Every function of the face is linked under a kt_aix_ name (an asm label),
 * so this face and the others coexist in one program.
 *
 * Decisions where AIX documents nothing (semantics.md 7, 9, 10.11):
 *   - a NULL i_func, or a data block larger than a quarter of the stack
 *     (rounded up to 16 bytes, plus 16 for the alignment of the top), is
 *     EINVAL. The stack is the 96 KiB AIX allocates, or the caller's: the
 *     sanitizers' larger mappings do not move the limit;
 *   - a tid that is not a thread made by thread_create and still TSIDL is
 *     ESRCH (the one documented error), and the running thread it may name
 *     is unaffected;
 *   - a caller's stack needs its size: give it with the extension
 *     kthread_start_stack(tid, len) before kthread_start; without it, or
 *     with one under KT_MIN_STACK, kthread_start is EINVAL;
 *   - a NULL i_sigmask blocks nothing; i_sigmask replaces the blocked set
 *     (the thread is created with none blocked). A signal kthread_kill posts
 *     while the thread is TSIDL stays pending, and is delivered or blocked
 *     by i_sigmask when the thread starts (AIX: "kept pending");
 *   - kthread_kill of a tid that names no thread (gone, never created, or
 *     -1 outside a kernel thread) is fatal: it has no error to return;
 *   - kernel threads run at KT_PRI_KERNEL (AIX gives thread_create no
 *     priority) and are all named "kthread";
 *   - a wakeup that found an interruptible sleeper wins over a signal that
 *     comes at the same moment (the BSD precedence, semantics.md R9: the
 *     face has no sleep of its own, its threads use kt_sleep);
 *   - thread_create before kt_boot is fatal (AIX code runs in a booted
 *     kernel; there is no error for it);
 *   - getuerror() reports the error of the calling host context's last
 *     thread_create (do not switch between the two calls).
 * Kernel stacks are 96 KiB nominally; the mapping is that or the kernel's
 * default stack, whichever is larger (x4 under the sanitizers).
 */
#ifndef _KT_AIX_SYS_THREAD_H_
#define _KT_AIX_SYS_THREAD_H_

#include <errno.h>
#include <kt/kernel.h>
#include <signal.h>
#include <stddef.h>

#ifdef __cplusplus
#define __KT_AIX_BEGIN extern "C" {
#define __KT_AIX_END }
#else
#define __KT_AIX_BEGIN
#define __KT_AIX_END
#endif

#define __KT_AIX(name) __asm__("kt_aix_" #name)

typedef long tid_t;

/* Thread states (sys/thread.h of AIX 5.3). */
#define TSNONE 0 /* slot free */
#define TSIDL 1  /* being created: thread_create, not yet started */
#define TSRUN 2  /* runnable or running */
#define TSSLEEP 3
#define TSSWAP 4
#define TSSTOP 5
#define TSZOMB 6

/* The stack the kernel allocates when i_stackaddr is 0. */
#define KTHREAD_DEFAULT_STACK ((size_t)96 * 1024)

__KT_AIX_BEGIN
tid_t thread_create(void) __KT_AIX(thread_create);
int getuerror(void) __KT_AIX(getuerror);
int kthread_start(tid_t tid, int (*i_func)(void*), void* i_data_addr, size_t i_data_len,
                  void* i_stackaddr, sigset_t* i_sigmask) __KT_AIX(kthread_start);
void thread_terminate(void) __KT_AIX(thread_terminate) __attribute__((noreturn));
tid_t thread_self(void) __KT_AIX(thread_self);
void kthread_kill(tid_t tid, int sig) __KT_AIX(kthread_kill);

/* Extensions. */
int kthread_start_stack(tid_t tid, size_t len) __KT_AIX(kthread_start_stack);
int thread_getstate(tid_t tid) __KT_AIX(thread_getstate);
__KT_AIX_END

#endif /* !_KT_AIX_SYS_THREAD_H_ */
