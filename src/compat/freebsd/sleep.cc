// FreeBSD sleep(9) and mutex(9) for kernel threads, onto the wait channels
// and sleeping mutexes of the core.
#include "kt/c/sleep.h"

#include <sys/mutex.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include <cerrno>

#include "kt/c/face.h"
#include "kt/c/sync.h"
#include "kt/c/thread.h"

extern "C" {
int hz = 1000;
}

namespace {

void need_kthread(const char* fn, const void* chan) {
  if (!kt_thread_self())
    kt_panic("%s: called from a host thread; it must be called from a kernel thread", fn);
  if (!chan) kt_panic("%s: NULL wait channel", fn);
}

}  // namespace

extern "C" int tsleep(const void* chan, int pri, const char* wmesg, int timo) {
  need_kthread("tsleep", chan);
  return kt_sleep(chan, wmesg, (pri & PCATCH) ? KT_SLEEP_INTR : 0, kt_ticks_ns(timo, hz, "tsleep"));
}

extern "C" int msleep(const void* chan, struct mtx* mtx, int pri, const char* wmesg, int timo) {
  need_kthread("msleep", chan);
  if (!mtx) return tsleep(chan, pri, wmesg, timo);
  // FreeBSD asserts MA_NOTRECURSED: the sleep would keep the lock held.
  if (mtx->mtx_recurse > 0) kt_panic("msleep: mutex %s is recursed", mtx->mtx_kt.name);
  // Queue first, then let the mutex go: a waker that takes the mutex to
  // change the condition finds us on the queue (no lost wakeup).
  kt_sleep_setup(chan, wmesg, (pri & PCATCH) ? KT_SLEEP_INTR : 0);
  mtx_unlock(mtx);
  const int rc = kt_sleep_finish(kt_ticks_ns(timo, hz, "msleep"), 1);
  if (!(pri & PDROP)) mtx_lock(mtx);
  return rc;
}

extern "C" int pause(const char* wmesg, int timo) {
  static int pause_chan;
  need_kthread("pause", &pause_chan);
  return kt_sleep(&pause_chan, wmesg, 0, kt_ticks_ns(timo <= 0 ? 1 : timo, hz, "pause"));
}

extern "C" void wakeup(const void* chan) { kt_wakeup(chan); }
extern "C" void wakeup_one(const void* chan) { kt_wakeup_one(chan); }

extern "C" void mtx_init(struct mtx* m, const char* name, const char* type, int opts) {
  (void)type;
  kt_mutex_init(&m->mtx_kt, name);
  m->mtx_opts = opts;
  m->mtx_recurse = 0;
}

extern "C" void mtx_destroy(struct mtx* m) { kt_mutex_destroy(&m->mtx_kt); }

extern "C" void mtx_lock(struct mtx* m) {
  if ((m->mtx_opts & MTX_RECURSE) && kt_mutex_owned(&m->mtx_kt)) {
    m->mtx_recurse++;
    return;
  }
  kt_mutex_lock(&m->mtx_kt);
}

extern "C" int mtx_trylock(struct mtx* m) {
  if ((m->mtx_opts & MTX_RECURSE) && kt_mutex_owned(&m->mtx_kt)) {
    m->mtx_recurse++;
    return 1;
  }
  return kt_mutex_trylock(&m->mtx_kt);
}

extern "C" void mtx_unlock(struct mtx* m) {
  if (m->mtx_recurse > 0) {
    m->mtx_recurse--;
    return;
  }
  kt_mutex_unlock(&m->mtx_kt);
}

extern "C" int mtx_owned(struct mtx* m) { return kt_mutex_owned(&m->mtx_kt); }

extern "C" void mtx_assert(struct mtx* m, int what) {
  const int owned = kt_mutex_owned(&m->mtx_kt);
  if ((what & MA_OWNED) && !owned)
    kt_panic("mutex %s not owned", m->mtx_kt.name ? m->mtx_kt.name : "?");
  if ((what & MA_NOTOWNED) && owned)
    kt_panic("mutex %s owned", m->mtx_kt.name ? m->mtx_kt.name : "?");
}
