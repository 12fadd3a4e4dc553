/*
 * NetBSD condvar(9) and mutex(9) as kernel threads use them: cv_wait,
 * cv_wait_sig, cv_timedwait, cv_signal, cv_broadcast, cv_has_waiters,
 * mutex_enter/exit/tryenter/owned, kpause.
 */
#include <kt/c/control.h>
#include <kt/c/thread.h>
#include <sched.h>
#include <sys/condvar.h>
#include <sys/kernel.h>
#include <sys/kthread.h>
#include <sys/lwp.h>
#include <sys/mutex.h>
#include <sys/proc.h> /* kpause, where NetBSD declares it */
#include <time.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static kmutex_t mtx;
static kcondvar_t cv;
static int ready; /* guarded by mtx */
static int result;

static void waiter(void* arg) {
  (void)arg;
  mutex_enter(&mtx);
  while (!ready) cv_wait(&cv, &mtx);
  const int owned = mutex_owned(&mtx);
  mutex_exit(&mtx);
  /* Published only once the mutex is free: the host destroys it next. */
  STORE(result, owned ? 1 : 2);
  kthread_exit(0);
}
static int has_waiter(void* p) {
  (void)p;
  return cv_has_waiters(&cv);
}
static int got_result(void* p) {
  (void)p;
  return LOAD(result) != 0;
}

static void init_all(void) {
  mutex_init(&mtx, MUTEX_DEFAULT, IPL_NONE);
  cv_init(&cv, "cvtest");
  ready = 0;
  STORE(result, 0);
}

static void cv_signal_wakes_a_waiter_with_the_mutex_held(void) {
  init_all();
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, waiter, NULL, NULL, "w"), 0);
  KTC_CHECK(ktc_wait(has_waiter, NULL));
  mutex_enter(&mtx);
  ready = 1;
  cv_signal(&cv);
  mutex_exit(&mtx);
  KTC_CHECK(ktc_wait(got_result, NULL));
  KTC_CHECK_EQ(LOAD(result), 1);
  cv_destroy(&cv);
  mutex_destroy(&mtx);
}

static int nwoke;
static void counting_waiter(void* arg) {
  (void)arg;
  mutex_enter(&mtx);
  while (!ready) cv_wait(&cv, &mtx);
  nwoke++;
  mutex_exit(&mtx);
  kthread_exit(0);
}
static int all_three(void* p) {
  (void)p;
  mutex_enter(&mtx);
  int n = nwoke;
  mutex_exit(&mtx);
  return n == 3;
}
static void cv_broadcast_wakes_all(void) {
  lwp_t* l[3];
  init_all();
  nwoke = 0;
  for (int i = 0; i < 3; i++)
    KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, counting_waiter, NULL, &l[i], "w"),
                 0);
  for (int i = 0; i < 3; i++) {
    while (kt_thread_state(l[i]->l_kt) != KT_SLEEPING) sched_yield();
  }
  mutex_enter(&mtx);
  ready = 1;
  cv_broadcast(&cv);
  mutex_exit(&mtx);
  KTC_CHECK(ktc_wait(all_three, NULL));
}

struct timed {
  int ticks, rc, sig;
  long ms;
};
static void timed(void* arg) {
  struct timed* t = (struct timed*)arg;
  struct timespec a, b;
  mutex_enter(&mtx);
  clock_gettime(CLOCK_MONOTONIC, &a);
  t->rc = t->sig ? cv_timedwait_sig(&cv, &mtx, t->ticks) : cv_timedwait(&cv, &mtx, t->ticks);
  clock_gettime(CLOCK_MONOTONIC, &b);
  mutex_exit(&mtx);
  t->ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}
static void cv_timedwait_times_out_in_ticks(void) {
  struct timed t = {3, -1, 0, 0};
  init_all();
  ktc_in_kthread(timed, &t);
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.ms >= 30); /* 3 ticks at hz 100 */
}

static int sig_rc = -2;
static lwp_t* sig_lwp;
static void sig_waiter(void* arg) {
  (void)arg;
  mutex_enter(&mtx);
  const int rc = cv_wait_sig(&cv, &mtx);
  mutex_exit(&mtx);
  STORE(sig_rc, rc);
  kthread_exit(0);
}
static int sig_done(void* p) {
  (void)p;
  return LOAD(sig_rc) != -2;
}
static void cv_wait_sig_is_interrupted(void) {
  init_all();
  STORE(sig_rc, -2);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, sig_waiter, NULL, &sig_lwp, "sig"),
               0);
  KTC_CHECK(ktc_wait(has_waiter, NULL));
  kt_signal(sig_lwp->l_kt, 9);
  KTC_CHECK(ktc_wait(sig_done, NULL));
  KTC_CHECK_EQ(LOAD(sig_rc), EINTR);
}

/* semantics.md 10.14: a negative count is one tick; "ticks 0 behaves
 * exactly like cv_wait" (no timeout: only a signal ends it). */
static void cv_timedwait_negative_is_a_tick(void) {
  struct timed t = {-5, -1, 0, 0};
  init_all();
  ktc_in_kthread(timed, &t);
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.ms >= 10); /* one tick at hz 100 */
}
static int zero_rc = -1;
static void timed_zero(void* arg) {
  struct timed t = {0, -1, 0, 0};
  (void)arg;
  timed(&t);
  STORE(zero_rc, t.rc);
  kthread_exit(0);
}
static int zero_done(void* p) {
  (void)p;
  return LOAD(zero_rc) != -1;
}
static void cv_timedwait_zero_waits_like_cv_wait(void) {
  init_all();
  STORE(zero_rc, -1);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, timed_zero, NULL, NULL, "z"), 0);
  KTC_CHECK(ktc_wait(has_waiter, NULL));
  /* Past three ticks any finite timeout would have fired: still waiting. */
  struct timespec three_ticks = {0, 30 * 1000 * 1000};
  nanosleep(&three_ticks, NULL);
  KTC_CHECK(cv_has_waiters(&cv));
  mutex_enter(&mtx);
  cv_signal(&cv);
  mutex_exit(&mtx);
  KTC_CHECK(ktc_wait(zero_done, NULL));
  KTC_CHECK_EQ(LOAD(zero_rc), 0);
}

/* hz (<sys/kernel.h>) is NetBSD's 100 and, set before boot, the unit of
 * every timeout: 2 ticks at hz 20 are 100 ms, five times the default. */
static void hz_is_100_and_settable_before_boot(void) {
  struct timed t = {2, -1, 0, 0};
  KTC_CHECK_EQ(hz, 100);
  ktc_shutdown();
  hz = 20;
  ktc_reboot(2, 0);
  init_all();
  ktc_in_kthread(timed, &t);
  hz = 100;
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.ms >= 100);
}

static void tryenter_fails_when_held(void* arg) { *(int*)arg = mutex_tryenter(&mtx); }
static void mutex_tryenter_and_owned(void) {
  int got = -1;
  init_all();
  mutex_enter(&mtx);
  KTC_CHECK(mutex_owned(&mtx));
  ktc_in_kthread(tryenter_fails_when_held, &got);
  KTC_CHECK_EQ(got, 0);
  mutex_exit(&mtx);
  KTC_CHECK(!mutex_owned(&mtx));
}

static void pause_body(void* arg) { *(int*)arg = kpause("nap", false, 2, NULL); }
static void kpause_sleeps_ticks(void) {
  int rc = -1;
  ktc_in_kthread(pause_body, &rc);
  KTC_CHECK_EQ(rc, EWOULDBLOCK);
}

static void kpause_from_host_panics(void) { kpause("host", false, 1, NULL); }

static void destroy_with_waiters(void) {
  init_all();
  kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, waiter, NULL, NULL, "w");
  ktc_wait(has_waiter, NULL);
  cv_destroy(&cv);
}

static const struct ktc_case cases[] = {
    {"cv_signal wakes a waiter, which returns holding the mutex",
     cv_signal_wakes_a_waiter_with_the_mutex_held},
    {"cv_broadcast wakes every waiter", cv_broadcast_wakes_all},
    {"cv_timedwait returns EWOULDBLOCK after the ticks", cv_timedwait_times_out_in_ticks},
    {"cv_wait_sig returns EINTR when interrupted", cv_wait_sig_is_interrupted},
    {"cv_timedwait with a negative count waits one tick", cv_timedwait_negative_is_a_tick},
    {"cv_timedwait with ticks 0 behaves exactly like cv_wait",
     cv_timedwait_zero_waits_like_cv_wait},
    {"hz is 100, and set before boot it is the unit of the timeouts",
     hz_is_100_and_settable_before_boot},
    {"mutex_tryenter fails while another holds it; mutex_owned", mutex_tryenter_and_owned},
    {"kpause sleeps for the ticks", kpause_sleeps_ticks},
    {"kpause outside a kernel thread panics", kpause_from_host_panics, "called from a host thread"},
    {"cv_destroy with waiters panics", destroy_with_waiters, "destroyed with waiters"},
};

KTC_MAIN("NetBSD condvar(9)", cases)
