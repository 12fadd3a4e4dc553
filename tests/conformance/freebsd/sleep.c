/*
 * FreeBSD sleep(9) as kernel threads use it: tsleep, msleep, wakeup,
 * wakeup_one, pause, hz, PCATCH, PDROP (semantics.md 3.10).
 */
#include <kt/c/control.h>
#include <kt/c/thread.h>
#include <sched.h>
#include <sys/kthread.h>
#include <sys/mutex.h>
#include <sys/proc.h>
#include <sys/systm.h>
#include <time.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static int chan;
static int result = -2;
static struct proc* sleeper;

static int asleep(void* p) {
  (void)p;
  return sleeper && kt_thread_state(sleeper->p_kt) == KT_SLEEPING;
}
static int done(void* p) {
  (void)p;
  return LOAD(result) != -2;
}

static void sleeps(void* arg) {
  STORE(result, tsleep(&chan, *(int*)arg, "zzz", 0));
  kthread_exit(0);
}
static void start_sleeper(int* pri) {
  STORE(result, -2);
  sleeper = NULL;
  KTC_CHECK_EQ(kthread_create(sleeps, pri, &sleeper, 0, 0, "sleeper"), 0);
  KTC_CHECK(ktc_wait(asleep, NULL));
}

static void woken_returns_zero(void) {
  static int pri = PZERO;
  start_sleeper(&pri);
  wakeup(&chan);
  KTC_CHECK(ktc_wait(done, NULL));
  KTC_CHECK_EQ(LOAD(result), 0);
}

static void pcatch_signal_is_eintr(void) {
  static int pri = PZERO | PCATCH;
  start_sleeper(&pri);
  KTC_CHECK_EQ(kt_signal(sleeper->p_kt, 2), 0);
  KTC_CHECK(ktc_wait(done, NULL));
  KTC_CHECK_EQ(LOAD(result), EINTR);
}

static void pending_signal(void* arg) {
  (void)arg;
  kt_signal(kt_thread_self(), 2);
  STORE(result, tsleep(&chan, PZERO | PCATCH, "pending", 0));
}
static void signal_pending_before_returns_at_once(void) {
  STORE(result, -2);
  ktc_in_kthread(pending_signal, NULL);
  KTC_CHECK_EQ(LOAD(result), EINTR);
}

struct timed {
  int timo, rc;
  long ms;
};
static void timed_sleep(void* arg) {
  struct timed* t = (struct timed*)arg;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  t->rc = tsleep(&chan, PZERO, "timo", t->timo);
  clock_gettime(CLOCK_MONOTONIC, &b);
  t->ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}
static void timeout_in_ticks_is_ewouldblock(void) {
  struct timed t = {20, -2, 0}; /* 20 ticks at hz 1000 */
  KTC_CHECK_EQ(hz, 1000);
  ktc_in_kthread(timed_sleep, &t);
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.ms >= 20);
}
static void negative_timo_is_one_tick(void) {
  struct timed t = {-3, -2, 0};
  ktc_in_kthread(timed_sleep, &t);
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.ms >= 1);
}
static void hz_settable_before_boot(void) {
  struct timed t = {10, -2, 0};
  ktc_shutdown();
  hz = 100;
  ktc_reboot(2, 0);
  ktc_in_kthread(timed_sleep, &t);
  hz = 1000;
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.ms >= 100); /* 10 ticks at hz 100 */
}

static int nwoken;
static struct proc* many[3];
static void counts(void* arg) {
  (void)arg;
  tsleep(&chan, PZERO, "many", 0);
  __atomic_fetch_add(&nwoken, 1, __ATOMIC_ACQ_REL);
  kthread_exit(0);
}
static int all_asleep(void* p) {
  (void)p;
  for (int i = 0; i < 3; i++)
    if (!many[i] || kt_thread_state(many[i]->p_kt) != KT_SLEEPING) return 0;
  return 1;
}
static int woken(void* p) { return LOAD(nwoken) >= *(int*)p; }
static void wakeup_one_wakes_one(void) {
  static int one = 1, three = 3;
  STORE(nwoken, 0);
  for (int i = 0; i < 3; i++)
    KTC_CHECK_EQ(kthread_create(counts, NULL, &many[i], 0, 0, "m%d", i), 0);
  KTC_CHECK(ktc_wait(all_asleep, NULL));
  wakeup_one(&chan);
  KTC_CHECK(ktc_wait(woken, &one));
  KTC_CHECK_EQ(LOAD(nwoken), 1);
  wakeup(&chan);
  KTC_CHECK(ktc_wait(woken, &three));
}

/* msleep: the mutex is the interlock against a lost wakeup */
static struct mtx m;
static int ready; /* guarded by m */
static int owned_after, drop_owned;
static void msleeper(void* arg) {
  (void)arg;
  mtx_lock(&m);
  while (!ready) msleep(&ready, &m, PZERO, "ready", 0);
  owned_after = mtx_owned(&m);
  mtx_unlock(&m);
  mtx_lock(&m);
  msleep(&ready, &m, PZERO | PDROP, "drop", 1);
  drop_owned = mtx_owned(&m);
  STORE(result, 0);
  kthread_exit(0);
}
static void msleep_releases_and_retakes_the_mutex(void) {
  mtx_init(&m, "test", NULL, MTX_DEF);
  ready = 0;
  STORE(result, -2);
  sleeper = NULL;
  KTC_CHECK_EQ(kthread_create(msleeper, NULL, &sleeper, 0, 0, "msleeper"), 0);
  KTC_CHECK(ktc_wait(asleep, NULL));
  mtx_lock(&m); /* free while the sleeper sleeps */
  ready = 1;
  wakeup(&ready);
  mtx_unlock(&m);
  KTC_CHECK(ktc_wait(done, NULL));
  KTC_CHECK_EQ(owned_after, 1);
  KTC_CHECK_EQ(drop_owned, 0); /* PDROP: not taken back */
  mtx_destroy(&m);
}

static void pause_body(void* arg) { *(int*)arg = pause("pause", 5); }
static void pause_sleeps(void) {
  int rc = -2;
  ktc_in_kthread(pause_body, &rc);
  KTC_CHECK_EQ(rc, EWOULDBLOCK);
}

static void host_tsleep_panics(void) { tsleep(&chan, PZERO, "host", 1); }
static void null_chan(void* arg) {
  (void)arg;
  tsleep(NULL, PZERO, "null", 1);
}
static void null_chan_panics(void) { ktc_in_kthread(null_chan, NULL); }

/* mtx_assert(9) and msleep's MA_NOTRECURSED, as INVARIANTS kernels check. */
static struct mtx am;
static void asserts_owned(void* arg) {
  (void)arg;
  mtx_init(&am, "am", NULL, MTX_DEF);
  mtx_assert(&am, MA_OWNED);
}
static void mtx_assert_owned_panics(void) { ktc_in_kthread(asserts_owned, NULL); }
static void asserts_notowned(void* arg) {
  (void)arg;
  mtx_init(&am, "am", NULL, MTX_DEF);
  mtx_lock(&am);
  mtx_assert(&am, MA_NOTOWNED);
}
static void mtx_assert_notowned_panics(void) { ktc_in_kthread(asserts_notowned, NULL); }
static void msleeps_recursed(void* arg) {
  (void)arg;
  mtx_init(&am, "am", NULL, MTX_DEF | MTX_RECURSE);
  mtx_lock(&am);
  mtx_lock(&am);
  msleep(&am, &am, PZERO, "recursed", 1);
}
static void msleep_recursed_panics(void) { ktc_in_kthread(msleeps_recursed, NULL); }

static const struct ktc_case cases[] = {
    {"tsleep returns 0 when woken", woken_returns_zero},
    {"PCATCH: a signal ends the sleep with EINTR", pcatch_signal_is_eintr},
    {"PCATCH: a signal pending before the sleep returns at once",
     signal_pending_before_returns_at_once},
    {"timo ticks of hz (1000): EWOULDBLOCK when it expires", timeout_in_ticks_is_ewouldblock},
    {"a negative timo acts as one tick", negative_timo_is_one_tick},
    {"hz is settable before boot", hz_settable_before_boot},
    {"wakeup_one wakes one sleeper, wakeup all", wakeup_one_wakes_one},
    {"msleep releases the mutex while asleep and takes it back, unless PDROP",
     msleep_releases_and_retakes_the_mutex},
    {"pause sleeps for timo ticks", pause_sleeps},
    {"tsleep outside a kernel thread panics", host_tsleep_panics, "called from a host thread"},
    {"tsleep on a NULL channel panics", null_chan_panics, "NULL wait channel"},
    {"mtx_assert(MA_OWNED) of a free mutex panics", mtx_assert_owned_panics, "mutex am not owned"},
    {"mtx_assert(MA_NOTOWNED) of a held mutex panics", mtx_assert_notowned_panics,
     "mutex am owned"},
    {"msleep with a recursed mutex panics", msleep_recursed_panics, "msleep: mutex am is recursed"},
};

KTC_MAIN("FreeBSD sleep(9)", cases)
