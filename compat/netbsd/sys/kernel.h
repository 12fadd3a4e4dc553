/* sys/kernel.h (NetBSD face): the clock rate. */
#ifndef _KT_NETBSD_SYS_KERNEL_H_
#define _KT_NETBSD_SYS_KERNEL_H_

#include <sys/_kt_netbsd.h>

__KT_NB_BEGIN
/*
 * Ticks per second of every timeout of this face (cv_timedwait, kpause):
 * 100 (NetBSD's HZ). Set it before kt_boot; it is read at each call, and
 * must stay positive.
 */
extern int hz __KT_NB(hz);
__KT_NB_END

#endif /* !_KT_NETBSD_SYS_KERNEL_H_ */
