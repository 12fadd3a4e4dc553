/*
 * The OpenBSD face of kthreads: OpenBSD 5.7 kthread(9) and tsleep(9).
 * Private to the face's headers. Every function of the face is linked under
 * a kt_openbsd_ name (an asm label), so this face and the others coexist in
 * one program.
 */
#ifndef _KT_OPENBSD_H_
#define _KT_OPENBSD_H_

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#include <kt/kernel.h>

#ifdef __cplusplus
#define __KT_OB_BEGIN extern "C" {
#define __KT_OB_END }
#else
#define __KT_OB_BEGIN
#define __KT_OB_END
#endif

#define __KT_OB(name) __asm__("kt_openbsd_" #name)

#define MAXCOMLEN 16 /* max command name remembered (5.7) */

#endif /* !_KT_OPENBSD_H_ */
