/*
 * The OpenBSD face of kthreads: OpenBSD 5.7 kthread(9), tsleep(9) and the
 * mutex(9) msleep leans on. Private to the face's headers.
 *
 * Every function and global of the face is linked under a kt_openbsd_ name
 * (an asm label), so a program may use this face and others (whose
 * kthread_create, tsleep, wakeup, hz... differ) in different translation
 * units.
 */
#ifndef _KT_OPENBSD_H_
#define _KT_OPENBSD_H_

#include <errno.h>
#include <kt/kernel.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
#define __KT_OB_BEGIN extern "C" {
#define __KT_OB_END }
#else
#define __KT_OB_BEGIN
#define __KT_OB_END
#endif

#define __KT_OB(name) __asm__("kt_openbsd_" #name)

#define MAXCOMLEN 16           /* max command name remembered (5.7; later releases raised it) */
#define UPAGES 5               /* amd64: pages of u-area, kernel stack included */
#define USPACE (UPAGES * 4096) /* 20 KiB (machine/param.h) */

struct proc;
struct mutex;

#endif /* !_KT_OPENBSD_H_ */
