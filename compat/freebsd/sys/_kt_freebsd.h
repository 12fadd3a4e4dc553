/*
 * The FreeBSD face of kthreads: FreeBSD 5.x-7.x kthread(9) and the kernel
 * interfaces it leans on. Private to the face's headers.
 *
 * Every function of the face is linked under a kt_freebsd_ name (an asm
 * label), so a program may use this face and others (whose kthread_create,
 * tsleep, wakeup, hz... differ) in different translation units.
 */
#ifndef _KT_FREEBSD_H_
#define _KT_FREEBSD_H_

#include <errno.h>
#include <kt/kernel.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
#define __KT_FB_BEGIN extern "C" {
#define __KT_FB_END }
#else
#define __KT_FB_BEGIN
#define __KT_FB_END
#endif

#define __KT_FB(name) __asm__("kt_freebsd_" #name)

#define MAXCOMLEN 19 /* max command name remembered */
#define PAGE_SIZE 4096
#define KSTACK_PAGES 4
#define KSTACK_MAX_PAGES 32

struct proc;
struct mtx;

#endif /* !_KT_FREEBSD_H_ */
