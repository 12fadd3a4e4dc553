/* The NetBSD part: MPSAFE, MUSTJOIN workers bound one to each vCPU, fed
 * through a condition variable by a feeder thread, joined at the end. */
#include <sys/condvar.h>
#include <sys/cpu.h>
#include <sys/kthread.h>
#include <sys/lwp.h>
#include <sys/mutex.h>

#include "demo.h"

#define MAXW 64

static kmutex_t q_lock;
static kcondvar_t q_cv;
static int q_items; /* guarded by q_lock */
static int q_stop;  /* guarded by q_lock */
static long done;   /* guarded by q_lock */
static lwp_t* workers[MAXW];
static lwp_t* feeder;
static int nworkers;

static void worker(void* arg) {
  (void)arg;
  mutex_enter(&q_lock);
  for (;;) {
    while (q_items == 0 && !q_stop) cv_wait(&q_cv, &q_lock);
    if (q_items == 0) break;
    q_items--;
    done++;
  }
  mutex_exit(&q_lock);
  kthread_exit(0);
}

static void feed(void* arg) {
  (void)arg;
  for (;;) {
    mutex_enter(&q_lock);
    if (q_stop) {
      mutex_exit(&q_lock);
      break;
    }
    q_items += 16;
    cv_broadcast(&q_cv);
    mutex_exit(&q_lock);
    kpause("feed", false, 1, NULL);
  }
  kthread_exit(0);
}

void nb_start(void) {
  mutex_init(&q_lock, MUTEX_DEFAULT, IPL_NONE);
  cv_init(&q_cv, "nbq");
  nworkers = ncpu < MAXW ? ncpu : MAXW;
  for (int i = 0; i < nworkers; i++)
    kthread_create(PRI_NONE, KTHREAD_MPSAFE | KTHREAD_MUSTJOIN, cpu_lookup((u_int)i), worker, NULL,
                   &workers[i], "nbwork/%d", i);
  kthread_create(PRI_NONE, KTHREAD_MPSAFE | KTHREAD_MUSTJOIN, NULL, feed, NULL, &feeder, "nbfeed");
}

void nb_stop(void) {
  mutex_enter(&q_lock);
  q_stop = 1;
  cv_broadcast(&q_cv);
  mutex_exit(&q_lock);
  kthread_join(feeder);
  for (int i = 0; i < nworkers; i++) kthread_join(workers[i]);
  cv_destroy(&q_cv);
  mutex_destroy(&q_lock);
}

long nb_done(void) {
  mutex_enter(&q_lock);
  long n = done;
  mutex_exit(&q_lock);
  return n;
}
