// OpenBSD 5.7 tsleep(9) and the mutex(9) msleep interlocks with, onto the
// core's wait channels and sleeping mutexes. Deviations: sys/systm.h and
// sys/mutex.h.
#include "kt/c/sleep.h"

#include <sys/mutex.h>
#include <sys/systm.h>

#include "kt/c/face.h"
#include "kt/c/sync.h"
#include "kt/c/thread.h"

extern "C" {
int hz = 100;
}

namespace {

const void* need_kthread(const char* fn, const volatile void* ident) {
  if (!kt_thread_self())
    kt_panic("%s: called from a host thread; it must be called from a kernel thread", fn);
  if (!ident) kt_panic("%s: NULL ident", fn);
  return const_cast<const void*>(ident);
}

int sleep_flags(int priority) { return (priority & PCATCH) ? KT_SLEEP_INTR : 0; }

}  // namespace

extern "C" int tsleep(const volatile void* ident, int priority, const char* wmesg, int timo) {
  return kt_sleep(need_kthread("tsleep", ident), wmesg, sleep_flags(priority),
                  kt_ticks_ns(timo, hz, "tsleep"));
}

extern "C" int msleep(const volatile void* ident, struct mutex* mtx, int priority,
                      const char* wmesg, int timo) {
  const void* chan = need_kthread("msleep", ident);
  if (!mtx) kt_panic("msleep: NULL mutex (use tsleep)");
  // On the queue before the mutex goes: a waker that takes the mutex to
  // change the condition finds us there (no lost wakeup).
  kt_sleep_setup(chan, wmesg, sleep_flags(priority));
  mtx_leave(mtx);
  const int rc = kt_sleep_finish(kt_ticks_ns(timo, hz, "msleep"), 1);
  if (!(priority & PNORELOCK)) mtx_enter(mtx);
  return rc;
}

extern "C" void wakeup(const volatile void* ident) { kt_wakeup(const_cast<const void*>(ident)); }

extern "C" void wakeup_one(const volatile void* ident) {
  kt_wakeup_one(const_cast<const void*>(ident));
}

// wakeup_n wakes at most n sleepers, oldest first; n <= 0 wakes none.
extern "C" void wakeup_n(const volatile void* ident, int n) {
  while (n-- > 0 && kt_wakeup_one(const_cast<const void*>(ident))) {
  }
}

extern "C" void mtx_init(struct mutex* mtx, int wantipl) {
  kt_mutex_init(&mtx->mtx_kt, "mutex");
  mtx->mtx_wantipl = wantipl;
}

namespace {
// Host threads all look alike to the mutex (no owner id), so only a kernel
// thread can be caught locking against itself.
void not_mine(const char* fn, struct mutex* mtx) {
  if (kt_thread_self() && kt_mutex_owned(&mtx->mtx_kt))
    kt_panic("%s: locking against myself (mutex %p)", fn, mtx);
}
}  // namespace

extern "C" void mtx_enter(struct mutex* mtx) {
  not_mine("mtx_enter", mtx);
  kt_mutex_lock(&mtx->mtx_kt);
}

extern "C" int mtx_enter_try(struct mutex* mtx) {
  not_mine("mtx_enter_try", mtx);
  return kt_mutex_trylock(&mtx->mtx_kt);
}

// A caller that does not hold mtx panics in the core ("released by a context
// that does not hold it").
extern "C" void mtx_leave(struct mutex* mtx) { kt_mutex_unlock(&mtx->mtx_kt); }

extern "C" void kt_openbsd_mtx_assert(struct mutex* mtx, int locked, const char* where) {
  if (kt_mutex_owned(&mtx->mtx_kt) != !!locked)
    kt_panic("%s: mutex %p %s", where, mtx, locked ? "not held" : "held");
}
