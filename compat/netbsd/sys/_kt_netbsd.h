/*
 * The NetBSD face of kthreads: NetBSD kthread(9) and the interfaces it leans
 * on (condvar(9), mutex(9), kpause). Private to the face's headers. Every
 * function of the face is linked under a kt_netbsd_ name (an asm label), so
 * this face and the others coexist in one program.
 */
#ifndef _KT_NETBSD_H_
#define _KT_NETBSD_H_

#include <errno.h>
#include <kt/kernel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
#define __KT_NB_BEGIN extern "C" {
#define __KT_NB_END }
#else
#define __KT_NB_BEGIN
#define __KT_NB_END
#endif

#define __KT_NB(name) __asm__("kt_netbsd_" #name)

#define MAXCOMLEN 16           /* the kthread name buffer: 15 characters and a NUL */
#define UPAGES 3               /* amd64: pages of u-area (4 with DIAGNOSTIC, a red zone) */
#define USPACE (UPAGES * 4096) /* 12 KiB (machine/param.h) */

/* Priorities (sys/param.h): higher is more urgent. */
typedef int pri_t;
#define PRI_NONE (-1)
#define PRI_COUNT 224
#define MAXPRI_USER 63
#define PRI_KERNEL 64
#define MAXPRI_KERNEL 95
#define PRI_KTHREAD 96
#define MAXPRI_KTHREAD 127
#define PRI_USER_RT 128
#define MAXPRI_USER_RT 191
#define PRI_KERNEL_RT 192
#define MAXPRI_KERNEL_RT 223

/* Legacy sleep levels and flags. */
#define PRIBIO 16
#define PVFS 20
#define PZERO 22
#define PSOCK 24
#define PWAIT 32
#define PLOCK 36
#define PPAUSE 40
#define PUSER 50
#define MAXPRI 127
#define PCATCH 0x100
#define PNORELOCK 0x200

#ifndef EWOULDBLOCK
#define EWOULDBLOCK EAGAIN
#endif

typedef int lwpid_t;
typedef unsigned int cpuid_t;
typedef unsigned int u_int;

struct lwp;
typedef struct lwp lwp_t;
struct cpu_info;

#endif /* !_KT_NETBSD_H_ */
