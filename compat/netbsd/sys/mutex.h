/* sys/mutex.h (NetBSD face): mutex(9). Spin mutexes sleep here: a hosted
 * kernel has no interrupt priority level to raise. */
#ifndef _KT_NETBSD_SYS_MUTEX_H_
#define _KT_NETBSD_SYS_MUTEX_H_

#include <kt/c/sync.h>
#include <sys/_kt_netbsd.h>
#include <sys/kernel.h>

typedef enum { MUTEX_DEFAULT = 0, MUTEX_DRIVER = 1, MUTEX_SPIN = 2 } kmutex_type_t;

#define IPL_NONE 0
#define IPL_SOFTCLOCK 1
#define IPL_SOFTBIO 2
#define IPL_SOFTNET 3
#define IPL_SOFTSERIAL 4
#define IPL_VM 5
#define IPL_SCHED 6
#define IPL_HIGH 7

typedef struct kmutex {
  struct kt_mutex mtx_kt;
} kmutex_t;

__KT_NB_BEGIN
void mutex_init(kmutex_t* m, kmutex_type_t type, int ipl) __KT_NB(mutex_init);
void mutex_destroy(kmutex_t* m) __KT_NB(mutex_destroy);
void mutex_enter(kmutex_t* m) __KT_NB(mutex_enter);
void mutex_exit(kmutex_t* m) __KT_NB(mutex_exit);
int mutex_tryenter(kmutex_t* m) __KT_NB(mutex_tryenter);
int mutex_owned(const kmutex_t* m) __KT_NB(mutex_owned);
/* kpause: sleep timo ticks (0: until interrupted), releasing mtx if given. */
int kpause(const char* wmesg, bool intr, int timo, kmutex_t* mtx) __KT_NB(kpause);
__KT_NB_END

#endif /* !_KT_NETBSD_SYS_MUTEX_H_ */
