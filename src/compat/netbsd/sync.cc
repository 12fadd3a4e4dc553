// NetBSD mutex(9), condvar(9) and kpause onto the core's sleeping mutex,
// condition variable and wait channels.
#include "kt/c/sync.h"

#include <sys/condvar.h>
#include <sys/kernel.h>
#include <sys/mutex.h>

#include <cerrno>

#include "kt/c/face.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"

extern "C" void mutex_init(kmutex_t* m, kmutex_type_t type, int ipl) {
  (void)type;
  (void)ipl;
  kt_mutex_init(&m->mtx_kt, "kmutex");
}
extern "C" void mutex_destroy(kmutex_t* m) { kt_mutex_destroy(&m->mtx_kt); }
extern "C" void mutex_enter(kmutex_t* m) { kt_mutex_lock(&m->mtx_kt); }
extern "C" void mutex_exit(kmutex_t* m) { kt_mutex_unlock(&m->mtx_kt); }
extern "C" int mutex_tryenter(kmutex_t* m) { return kt_mutex_trylock(&m->mtx_kt); }
extern "C" int mutex_owned(const kmutex_t* m) { return kt_mutex_owned(&m->mtx_kt); }

extern "C" void cv_init(kcondvar_t* cv, const char* wmesg) { kt_cv_init(&cv->cv_kt, wmesg); }
extern "C" void cv_destroy(kcondvar_t* cv) { kt_cv_destroy(&cv->cv_kt); }
extern "C" void cv_wait(kcondvar_t* cv, kmutex_t* mtx) {
  kt_cv_wait(&cv->cv_kt, &mtx->mtx_kt, 0, 0);
}
extern "C" int cv_wait_sig(kcondvar_t* cv, kmutex_t* mtx) {
  return kt_cv_wait(&cv->cv_kt, &mtx->mtx_kt, KT_SLEEP_INTR, 0);
}
extern "C" int cv_timedwait(kcondvar_t* cv, kmutex_t* mtx, int ticks) {
  return kt_cv_wait(&cv->cv_kt, &mtx->mtx_kt, 0, kt_ticks_ns(ticks, hz, "cv_timedwait"));
}
extern "C" int cv_timedwait_sig(kcondvar_t* cv, kmutex_t* mtx, int ticks) {
  return kt_cv_wait(&cv->cv_kt, &mtx->mtx_kt, KT_SLEEP_INTR,
                    kt_ticks_ns(ticks, hz, "cv_timedwait_sig"));
}
extern "C" void cv_signal(kcondvar_t* cv) { kt_cv_signal(&cv->cv_kt); }
extern "C" void cv_broadcast(kcondvar_t* cv) { kt_cv_broadcast(&cv->cv_kt); }
extern "C" bool cv_has_waiters(kcondvar_t* cv) { return kt_cv_has_waiters(&cv->cv_kt) != 0; }

extern "C" int kpause(const char* wmesg, bool intr, int timo, kmutex_t* mtx) {
  if (!kt_thread_self())
    kt_panic("kpause: called from a host thread; it must be called from a kernel thread");
  // A channel nobody wakes: only the timeout (or an interrupt) ends it.
  static int nowake;
  if (mtx) mutex_exit(mtx);
  const int rc =
      kt_sleep(&nowake, wmesg, intr ? KT_SLEEP_INTR : 0, kt_ticks_ns(timo, hz, "kpause"));
  if (mtx) mutex_enter(mtx);
  return rc;
}
