/*
 * OpenBSD 5.7 tsleep(9): tsleep, msleep, wakeup, wakeup_n, wakeup_one, hz,
 * PCATCH, PNORELOCK; and the mutex(9) msleep interlocks with.
 */
#include <kt/c/control.h>
#include <kt/c/thread.h>
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

static void sleeps(void* arg) {
  STORE(result, tsleep(&chan, *(int*)arg, "zzz", 0));
  kthread_exit(0);
}
static int done(void* p) {
  (void)p;
  return LOAD(result) != -2;
}
static int asleep(void* arg) {
  (void)arg;
  struct proc* p = LOAD(sleeper);
  return p && kt_thread_state(p->p_kt) == KT_SLEEPING;
}

static void wakeup_returns_zero(void) {
  static int pri = PWAIT;
  STORE(result, -2);
  KTC_CHECK_EQ(kthread_create(sleeps, &pri, &sleeper, "sleeper"), 0);
  KTC_CHECK(ktc_wait(asleep, NULL));
  wakeup(&chan);
  KTC_CHECK(ktc_wait(done, NULL));
  KTC_CHECK_EQ(LOAD(result), 0);
}

static void pcatch_returns_eintr(void) {
  static int pri = PWAIT | PCATCH;
  STORE(result, -2);
  KTC_CHECK_EQ(kthread_create(sleeps, &pri, &sleeper, "catcher"), 0);
  KTC_CHECK(ktc_wait(asleep, NULL));
  KTC_CHECK_EQ(kt_signal(sleeper->p_kt, 1), 0);
  KTC_CHECK(ktc_wait(done, NULL));
  KTC_CHECK_EQ(LOAD(result), EINTR);
}

static void without_pcatch_a_signal_does_not_end_it(void) {
  static int pri = PWAIT;
  STORE(result, -2);
  KTC_CHECK_EQ(kthread_create(sleeps, &pri, &sleeper, "deaf"), 0);
  KTC_CHECK(ktc_wait(asleep, NULL));
  kt_signal(sleeper->p_kt, 1);
  KTC_CHECK(asleep(NULL));
  wakeup(&chan);
  KTC_CHECK(ktc_wait(done, NULL));
  KTC_CHECK_EQ(LOAD(result), 0);
}

struct timed {
  int timo;
  int rc;
  long elapsed_ms;
};
static void timed_sleep(void* arg) {
  struct timed* t = (struct timed*)arg;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  t->rc = tsleep(&chan, PWAIT, "timo", t->timo);
  clock_gettime(CLOCK_MONOTONIC, &b);
  t->elapsed_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static void timeout_in_ticks_of_hz(void) {
  struct timed t = {5, -2, 0};
  KTC_CHECK_EQ(hz, 100);
  ktc_in_kthread(timed_sleep, &t);
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.elapsed_ms >= 50); /* 5 ticks at hz 100 */
}

static void negative_timeout_is_one_tick(void) {
  struct timed t = {-5, -2, 0};
  ktc_in_kthread(timed_sleep, &t);
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.elapsed_ms >= 10);
}

/* hz is the face's own: set before boot, it is the unit of every timeout.
 * 2 ticks at hz 20 are 100 ms, five times what they are at the default. */
static void hz_is_settable_before_boot(void) {
  struct timed t = {2, -2, 0};
  ktc_shutdown();
  hz = 20;
  ktc_reboot(2, 0);
  ktc_in_kthread(timed_sleep, &t);
  hz = 100;
  KTC_CHECK_EQ(t.rc, EWOULDBLOCK);
  KTC_CHECK(t.elapsed_ms >= 100);
}

static int nwoken;
static void counts(void* arg) {
  (void)arg;
  tsleep(&chan, PWAIT, "many", 0);
  __atomic_fetch_add(&nwoken, 1, __ATOMIC_ACQ_REL);
  kthread_exit(0);
}
static int three_asleep(void* p) {
  struct proc** ps = (struct proc**)p;
  for (int i = 0; i < 3; i++)
    if (kt_thread_state(ps[i]->p_kt) != KT_SLEEPING) return 0;
  return 1;
}
static int woken_at_least(void* p) { return LOAD(nwoken) >= *(int*)p; }
static void wakeup_one_wakes_one(void) {
  struct proc* ps[3];
  static int one = 1, three = 3;
  STORE(nwoken, 0);
  for (int i = 0; i < 3; i++) KTC_CHECK_EQ(kthread_create(counts, NULL, &ps[i], "many"), 0);
  KTC_CHECK(ktc_wait(three_asleep, ps));
  wakeup_one(&chan);
  KTC_CHECK(ktc_wait(woken_at_least, &one));
  KTC_CHECK_EQ(LOAD(nwoken), 1);
  wakeup(&chan); /* all the rest */
  KTC_CHECK(ktc_wait(woken_at_least, &three));
}

/* msleep lets the mutex go while asleep and takes it back before it returns
 * (not with PNORELOCK). The condition is changed under the mutex, so a
 * wakeup can never fall between the sleeper's test and its sleep. */
static struct mutex mtx = MUTEX_INITIALIZER(IPL_NONE);
static int cond, held_after;
static void msleeps(void* arg) {
  int pri = *(int*)arg;
  mtx_enter(&mtx);
  STORE(sleeper, curproc);
  int rc = 0;
  while (!LOAD(cond) && rc == 0) {
    rc = msleep(&chan, &mtx, pri, "msleep", 0);
    if (pri & PNORELOCK) break;
  }
  STORE(held_after, kt_mutex_owned(&mtx.mtx_kt));
  if (LOAD(held_after)) mtx_leave(&mtx);
  STORE(result, rc);
  kthread_exit(0);
}
static void msleep_interlocks_with_the_mutex(int pri) {
  static int p;
  p = pri;
  mtx_init(&mtx, IPL_NONE);
  STORE(result, -2);
  STORE(cond, 0);
  STORE(sleeper, (struct proc*)NULL);
  KTC_CHECK_EQ(kthread_create(msleeps, &p, NULL, "msleeper"), 0);
  KTC_CHECK(ktc_wait(asleep, NULL));
  mtx_enter(&mtx); /* free while it sleeps */
  STORE(cond, 1);
  wakeup(&chan);
  mtx_leave(&mtx);
  KTC_CHECK(ktc_wait(done, NULL));
  KTC_CHECK_EQ(LOAD(result), 0);
}
static void msleep_retakes_the_mutex(void) {
  msleep_interlocks_with_the_mutex(PWAIT);
  KTC_CHECK_EQ(LOAD(held_after), 1);
}
static void msleep_pnorelock_returns_without_it(void) {
  msleep_interlocks_with_the_mutex(PWAIT | PNORELOCK);
  KTC_CHECK_EQ(LOAD(held_after), 0);
  KTC_CHECK(mtx_enter_try(&mtx)); /* and nobody holds it */
  mtx_leave(&mtx);
}

/* Many rounds of a producer and a consumer handing a token through msleep
 * on two vCPUs: a wakeup between the consumer's test and its sleep would
 * leave it asleep forever. */
static int token, consumed, finished;
static void consumer(void* arg) {
  int n = *(int*)arg;
  mtx_enter(&mtx);
  for (int i = 0; i < n; i++) {
    while (!token) msleep(&token, &mtx, PWAIT, "token", 0);
    token = 0;
    STORE(consumed, i + 1);
    wakeup(&consumed);
  }
  mtx_leave(&mtx);
  __atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE); /* done with mtx */
  kthread_exit(0);
}
static void producer(void* arg) {
  int n = *(int*)arg;
  mtx_enter(&mtx);
  for (int i = 0; i < n; i++) {
    token = 1;
    wakeup(&token);
    while (LOAD(consumed) <= i) msleep(&consumed, &mtx, PWAIT, "drain", 0);
  }
  mtx_leave(&mtx);
  __atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
  kthread_exit(0);
}
/* The rounds may take long under a sanitizer on loaded cores: what fails
 * the case is a round that never ends, not slowness. */
static int moved_on(void* p) {
  const int* last = (const int*)p;
  return LOAD(consumed) != *last || LOAD(finished) == 2;
}
static void msleep_never_loses_a_wakeup(void) {
  static int n = 5000;
  mtx_init(&mtx, IPL_NONE);
  token = 0;
  STORE(consumed, 0);
  STORE(finished, 0);
  KTC_CHECK_EQ(kthread_create(consumer, &n, NULL, "consumer"), 0);
  KTC_CHECK_EQ(kthread_create(producer, &n, NULL, "producer"), 0);
  int last = -1;
  while (LOAD(finished) != 2) {
    last = LOAD(consumed);
    if (!ktc_wait(moved_on, &last)) break;
  }
  KTC_CHECK_EQ(LOAD(finished), 2);
  KTC_CHECK_EQ(LOAD(consumed), n);
}

static void wakeup_n_wakes_n(void) {
  struct proc* ps[3];
  static int two = 2, three = 3;
  STORE(nwoken, 0);
  for (int i = 0; i < 3; i++) KTC_CHECK_EQ(kthread_create(counts, NULL, &ps[i], "many"), 0);
  KTC_CHECK(ktc_wait(three_asleep, ps));
  wakeup_n(&chan, 0); /* none */
  wakeup_n(&chan, 2);
  KTC_CHECK(ktc_wait(woken_at_least, &two));
  KTC_CHECK_EQ(LOAD(nwoken), 2);
  int still = 0;
  for (int i = 0; i < 3; i++) still += kt_thread_state(ps[i]->p_kt) == KT_SLEEPING;
  KTC_CHECK_EQ(still, 1);
  wakeup_n(&chan, 5); /* more than sleep: the one left */
  KTC_CHECK(ktc_wait(woken_at_least, &three));
}

/* The panic cases start from a fresh mutex: whatever an earlier case left. */
static void enters_twice(void* arg) {
  (void)arg;
  mtx_init(&mtx, IPL_NONE);
  mtx_enter(&mtx);
  mtx_enter(&mtx);
}
static void mtx_enter_recursion_panics(void) { ktc_in_kthread(enters_twice, NULL); }
static void leaves_unheld(void* arg) {
  (void)arg;
  mtx_init(&mtx, IPL_NONE);
  mtx_leave(&mtx);
}
static void mtx_leave_unheld_panics(void) { ktc_in_kthread(leaves_unheld, NULL); }
static void asserts_locked(void* arg) {
  (void)arg;
  mtx_init(&mtx, IPL_NONE);
  MUTEX_ASSERT_LOCKED(&mtx);
}
static void mutex_assert_locked_panics(void) { ktc_in_kthread(asserts_locked, NULL); }

static void tsleep_from_host_panics(void) { tsleep(&chan, PWAIT, "host", 1); }
static void sleeps_on_null(void* arg) {
  (void)arg;
  tsleep(NULL, PWAIT, "null", 1);
}
static void tsleep_on_null_panics(void) { ktc_in_kthread(sleeps_on_null, NULL); }
static void msleeps_without_mutex(void* arg) {
  (void)arg;
  msleep(&chan, NULL, PWAIT, "nomtx", 1);
}
static void msleep_without_mutex_panics(void) { ktc_in_kthread(msleeps_without_mutex, NULL); }

static const struct ktc_case cases[] = {
    {"tsleep returns 0 when woken by wakeup", wakeup_returns_zero},
    {"with PCATCH a signal ends the sleep: EINTR", pcatch_returns_eintr},
    {"without PCATCH a signal does not end the sleep", without_pcatch_a_signal_does_not_end_it},
    {"timo is in ticks of hz (100): EWOULDBLOCK when it expires", timeout_in_ticks_of_hz},
    {"a negative timo acts as one tick", negative_timeout_is_one_tick},
    {"hz is settable before boot", hz_is_settable_before_boot},
    {"wakeup_one wakes one sleeper, wakeup all", wakeup_one_wakes_one},
    {"msleep lets the mutex go while asleep and takes it back", msleep_retakes_the_mutex},
    {"msleep with PNORELOCK returns without the mutex", msleep_pnorelock_returns_without_it},
    {"msleep never loses a wakeup made under the mutex (many rounds)", msleep_never_loses_a_wakeup},
    {"wakeup_n wakes at most n sleepers", wakeup_n_wakes_n},
    {"tsleep outside a kernel thread panics", tsleep_from_host_panics, "called from a host thread"},
    {"tsleep on a NULL ident panics", tsleep_on_null_panics, "tsleep: NULL ident"},
    {"msleep without a mutex panics", msleep_without_mutex_panics, "msleep: NULL mutex"},
    {"mtx_enter of a mutex the caller holds panics", mtx_enter_recursion_panics,
     "locking against myself"},
    {"mtx_leave of a mutex the caller does not hold panics", mtx_leave_unheld_panics,
     "does not hold it"},
    {"MUTEX_ASSERT_LOCKED of a free mutex panics", mutex_assert_locked_panics, "not held"},
};

KTC_MAIN("OpenBSD tsleep(9)", cases)
