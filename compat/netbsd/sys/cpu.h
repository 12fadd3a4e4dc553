/* sys/cpu.h (NetBSD face): the vCPUs as struct cpu_info. */
#ifndef _KT_NETBSD_SYS_CPU_H_
#define _KT_NETBSD_SYS_CPU_H_

#include <sys/_kt_netbsd.h>

struct cpu_info {
  u_int ci_index;   /* 0 .. ncpu-1 */
  cpuid_t ci_cpuid; /* the vCPU's id */
  char ci_name[16]; /* "cpu0" ... */
};

__KT_NB_BEGIN
/* cpu_lookup() is the idx'th vCPU of the running kernel, or NULL. */
struct cpu_info* cpu_lookup(u_int idx) __KT_NB(cpu_lookup);
/* kt_netbsd_curcpu() is the vCPU the caller runs on (NULL on a host thread). */
struct cpu_info* kt_netbsd_curcpu(void) __KT_NB(curcpu);
/* The number of vCPUs, set when the kernel boots. */
extern int ncpu __KT_NB(ncpu);
__KT_NB_END

#define curcpu() (kt_netbsd_curcpu())

#endif /* !_KT_NETBSD_SYS_CPU_H_ */
