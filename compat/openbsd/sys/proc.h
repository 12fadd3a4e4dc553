/*
 * sys/proc.h (OpenBSD face): the process of a kernel thread. In 5.7 each
 * kernel thread is a process of its own; its struct proc lives as long as
 * the thread, in the thread's face area (kt/c/face.h).
 */
#ifndef _KT_OPENBSD_SYS_PROC_H_
#define _KT_OPENBSD_SYS_PROC_H_

#include <sys/_kt_openbsd.h>

#define P_SYSTEM 0x00000200 /* a system process: no signals, not swapped */

struct proc {
  pid_t p_pid;                /* process identifier */
  char p_comm[MAXCOMLEN + 1]; /* name, from kthread_create */
  int p_flag;                 /* P_* flags */
  uint64_t p_kt;              /* private: the kthreads handle */
};

__KT_OB_BEGIN
/* Process 0, the swapper. */
extern struct proc proc0 __KT_OB(proc0);
struct proc* kt_openbsd_curproc(void) __KT_OB(curproc);
__KT_OB_END

/*
 * curproc: the calling kernel thread's struct proc; &proc0 in a kernel
 * thread kthread_create did not make (deferred callbacks run in proc0's
 * context, as in 5.7); NULL on a host thread.
 */
#define curproc (kt_openbsd_curproc())

#endif /* !_KT_OPENBSD_SYS_PROC_H_ */
