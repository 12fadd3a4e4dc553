/* sys/lwp.h (NetBSD face): the LWP of a kernel thread. */
#ifndef _KT_NETBSD_SYS_LWP_H_
#define _KT_NETBSD_SYS_LWP_H_

#include <sys/_kt_netbsd.h>

struct lwp {
  lwpid_t l_lid;          /* LWP id (the kernel thread's pid) */
  char l_name[MAXCOMLEN]; /* name; "unnamed" is printed for an empty one */
  struct cpu_info* l_cpu; /* the vCPU it is bound to, or NULL */
  int l_flag;             /* KTHREAD_* flags it was created with */
  pri_t l_priority;       /* NetBSD priority it was created at */
  uint64_t l_kt;          /* private: the kthreads handle */
};

__KT_NB_BEGIN
/* LWP 1 of proc0, the kernel's first LWP. */
extern struct lwp lwp0 __KT_NB(lwp0);
lwp_t* kt_netbsd_curlwp(void) __KT_NB(curlwp);
__KT_NB_END

/*
 * curlwp: the calling kernel thread's LWP; &lwp0 in a kernel thread
 * kthread_create did not make (start-up functions, shutdown handlers,
 * another face's threads); NULL on a host thread.
 */
#define curlwp (kt_netbsd_curlwp())

#endif /* !_KT_NETBSD_SYS_LWP_H_ */
