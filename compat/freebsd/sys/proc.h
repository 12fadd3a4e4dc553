/*
 * sys/proc.h (FreeBSD face): the process structure of a kernel thread.
 * One struct proc per kernel thread (FreeBSD 5.x-7.x); the pointer lives as
 * long as the thread, and names it in kthread_suspend/resume.
 */
#ifndef _KT_FREEBSD_SYS_PROC_H_
#define _KT_FREEBSD_SYS_PROC_H_

#include <sys/_kt_freebsd.h>

/* p_flag bits */
#define P_SYSTEM 0x00200  /* system process: no signals, not swapped */
#define P_KTHREAD 0x00004 /* a kernel thread */

struct proc {
  pid_t p_pid;                /* process identifier */
  char p_comm[MAXCOMLEN + 1]; /* name, from kthread_create's fmt */
  int p_flag;                 /* P_* flags */
  int p_kstack_pages;         /* stack size asked for, in pages */
  int p_rfflags;              /* the rfork flags it was created with */
  uint64_t p_kt;              /* private: the kthreads handle */
};

__KT_FB_BEGIN
/* Process 0, the swapper: no kthread (kthread_suspend of it is EINVAL). */
extern struct proc proc0 __KT_FB(proc0);
struct proc* kt_freebsd_curproc(void) __KT_FB(curproc);
__KT_FB_END

/*
 * curproc: the calling kernel thread's struct proc; &proc0 in a kernel
 * thread kthread_create did not make (SYSINIT functions, shutdown handlers,
 * another face's threads), as FreeBSD's boot code runs as proc0; NULL on a
 * host thread.
 */
#define curproc (kt_freebsd_curproc())

#endif /* !_KT_FREEBSD_SYS_PROC_H_ */
