/*
 * sys/mutex.h (OpenBSD face): mutex(9) of OpenBSD 5.7, the interlock of
 * msleep. OpenBSD mutexes spin at a raised IPL; here they are the core's
 * sleeping mutexes, and the IPL is recorded only (a hosted kernel has no
 * interrupts to mask).
 * Deviations: mtx_enter of a mutex the calling kernel thread holds panics
 * ("locking against myself"), in every build; so do mtx_leave of a mutex
 * the caller does not hold, and a failed MUTEX_ASSERT_*.
 */
#ifndef _KT_OPENBSD_SYS_MUTEX_H_
#define _KT_OPENBSD_SYS_MUTEX_H_

#include <kt/c/sync.h>
#include <sys/_kt_openbsd.h>

/* Interrupt priority levels (amd64 values); recorded, never raised. */
#define IPL_NONE 0x0
#define IPL_SOFTCLOCK 0x4
#define IPL_SOFTNET 0x5
#define IPL_BIO 0x6
#define IPL_NET 0x7
#define IPL_SOFTTTY 0x8
#define IPL_TTY 0x9
#define IPL_VM 0xa
#define IPL_AUDIO 0xb
#define IPL_CLOCK 0xc
#define IPL_SCHED 0xd
#define IPL_HIGH 0xd

struct mutex {
  struct kt_mutex mtx_kt; /* private: the core's mutex */
  int mtx_wantipl;        /* the IPL asked for */
};

#define MUTEX_INITIALIZER(ipl) \
  { {0, 0, 0, "mutex"}, (ipl) }

__KT_OB_BEGIN
void mtx_init(struct mutex* mtx, int wantipl) __KT_OB(mtx_init);
void mtx_enter(struct mutex* mtx) __KT_OB(mtx_enter);
int mtx_enter_try(struct mutex* mtx) __KT_OB(mtx_enter_try);
void mtx_leave(struct mutex* mtx) __KT_OB(mtx_leave);
void kt_openbsd_mtx_assert(struct mutex* mtx, int locked, const char* where) __KT_OB(mtx_assert);
__KT_OB_END

#define MUTEX_ASSERT_LOCKED(mtx) kt_openbsd_mtx_assert((mtx), 1, __func__)
#define MUTEX_ASSERT_UNLOCKED(mtx) kt_openbsd_mtx_assert((mtx), 0, __func__)

#endif /* !_KT_OPENBSD_SYS_MUTEX_H_ */
