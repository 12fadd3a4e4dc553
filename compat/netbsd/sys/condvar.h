/* sys/condvar.h (NetBSD face): condvar(9). */
#ifndef _KT_NETBSD_SYS_CONDVAR_H_
#define _KT_NETBSD_SYS_CONDVAR_H_

#include <kt/c/sync.h>
#include <sys/_kt_netbsd.h>
#include <sys/mutex.h>

typedef struct kcondvar {
  struct kt_cv cv_kt;
} kcondvar_t;

__KT_NB_BEGIN
void cv_init(kcondvar_t* cv, const char* wmesg) __KT_NB(cv_init);
void cv_destroy(kcondvar_t* cv) __KT_NB(cv_destroy);
void cv_wait(kcondvar_t* cv, kmutex_t* mtx) __KT_NB(cv_wait);
int cv_wait_sig(kcondvar_t* cv, kmutex_t* mtx) __KT_NB(cv_wait_sig);
int cv_timedwait(kcondvar_t* cv, kmutex_t* mtx, int ticks) __KT_NB(cv_timedwait);
int cv_timedwait_sig(kcondvar_t* cv, kmutex_t* mtx, int ticks) __KT_NB(cv_timedwait_sig);
void cv_signal(kcondvar_t* cv) __KT_NB(cv_signal);
void cv_broadcast(kcondvar_t* cv) __KT_NB(cv_broadcast);
bool cv_has_waiters(kcondvar_t* cv) __KT_NB(cv_has_waiters);
__KT_NB_END

#endif /* !_KT_NETBSD_SYS_CONDVAR_H_ */
