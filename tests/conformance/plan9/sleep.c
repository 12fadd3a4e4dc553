/*
 * Plan 9 sleep(9), qlock(9) and rendezvous for kprocs: sleep, tsleep,
 * wakeup, return0, qlock, canqlock, qunlock, eqlock, rendezvous, and the
 * races R7 (note vs sleep) and R8 (eqlock interrupt vs qunlock hand-off).
 */
#include <kt/c/thread.h>
#include <portdat.h>
#include <portfns.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <u.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static int stage;
static Proc* sleeper;
static Rendez r;
static int cond;
static int at_least(void* p) { return LOAD(stage) >= *(int*)p; }
static int one = 1, two = 2, three = 3;
static int condtrue(void* a) {
  (void)a;
  return LOAD(cond);
}
static int asleep(void* p) {
  (void)p;
  Proc* s = __atomic_load_n(&sleeper, __ATOMIC_ACQUIRE);
  return s && kt_thread_state(s->kt) == KT_SLEEPING;
}

static void waits_for_cond(void* arg) {
  (void)arg;
  __atomic_store_n(&sleeper, up, __ATOMIC_RELEASE);
  STORE(stage, 1);
  sleep(&r, condtrue, nil);
  STORE(stage, 2);
  pexit("", 1);
}
static void wakeup_after_the_condition(void) {
  STORE(stage, 0);
  STORE(cond, 0);
  sleeper = nil;
  kproc("cond", waits_for_cond, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  STORE(cond, 1);
  Proc* woken = wakeup(&r);
  KTC_CHECK(woken == sleeper);
  KTC_CHECK(ktc_wait(at_least, &two));
  KTC_CHECK(wakeup(&r) == nil); /* nobody asleep */
}

static long slept_ms;
static void naps(void* arg) {
  (void)arg;
  struct timespec a, b;
  Rendez nap;
  memset(&nap, 0, sizeof nap);
  clock_gettime(CLOCK_MONOTONIC, &a);
  tsleep(&nap, return0, nil, 30); /* the delay idiom */
  clock_gettime(CLOCK_MONOTONIC, &b);
  slept_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  STORE(stage, 1);
  pexit("", 1);
}
static void tsleep_return0_delays(void) {
  STORE(stage, 0);
  kproc("nap", naps, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(slept_ms >= 30);
}

/* R9: a pending note wins even over a true condition. */
static void note_then_sleep(void* arg) {
  (void)arg;
  STORE(cond, 1);
  postnote(up, 1, "first", NUser);
  if (waserror()) {
    STORE(stage, 2);
    pexit("", 1);
  }
  sleep(&r, condtrue, nil); /* condition true, note pending: raises */
  STORE(stage, 1);
  pexit("", 1);
}
static void pending_note_beats_a_true_condition(void) {
  STORE(stage, 0);
  kproc("pending", note_then_sleep, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(LOAD(stage), 2);
}

/* R7: a note posted while the sleeper is between its test and its sleep
 * is never lost: many rounds, the poster on another vCPU. */
static int rounds_done;
static void loops_sleeping(void* arg) {
  (void)arg;
  __atomic_store_n(&sleeper, up, __ATOMIC_RELEASE);
  for (;;) {
    if (waserror()) {
      __atomic_fetch_add(&rounds_done, 1, __ATOMIC_ACQ_REL);
      continue; /* handled: sleep again */
    }
    sleep(&r, return0, nil);
    poperror();
  }
}
static int rounds_at_least(void* p) { return LOAD(rounds_done) >= *(int*)p; }
static void notes_racing_sleeps_are_never_lost(void) {
  static int target = 2000;
  STORE(rounds_done, 0);
  sleeper = nil;
  kproc("looper", loops_sleeping, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  for (int i = 1; i <= target; i++) {
    postnote(sleeper, 1, "poke", NUser);
    /* each note must end exactly one sleep: wait for it, then go on */
    KTC_CHECK(ktc_wait(rounds_at_least, &i));
  }
  KTC_CHECK(LOAD(rounds_done) >= target);
}

static void double_sleep(void* arg) {
  (void)arg;
  sleep(&r, return0, nil);
}
static void double_sleep_panics(void) {
  STORE(cond, 0);
  kproc("first", double_sleep, nil);
  kproc("second", double_sleep, nil);
  for (;;) sched_yield();
}

/* qlock */
static QLock q;
static int order[8], norder;
static void takes_in_turn(void* arg) {
  qlock(&q);
  int k = __atomic_load_n(&norder, __ATOMIC_ACQUIRE); /* the lock orders the takers */
  order[k] = (int)(uintptr)arg;
  __atomic_store_n(&norder, k + 1, __ATOMIC_RELEASE); /* publishes order[k] */
  qunlock(&q);
  pexit("", 1);
}
static int queued(void* p) { return kt_thread_state(*(uvlong*)p) == KT_SLEEPING; }
static void holder(void* arg) {
  (void)arg;
  __atomic_store_n(&sleeper, up, __ATOMIC_RELEASE);
  qlock(&q);
  STORE(stage, 1);
  while (LOAD(stage) < 2) sched_yield();
  qunlock(&q);
  pexit("", 1);
}
static Proc* last_proc;
static void named(void* arg) {
  __atomic_store_n(&last_proc, up, __ATOMIC_RELEASE);
  takes_in_turn(arg);
}
static void qlock_hands_off_in_fifo_order(void) {
  STORE(stage, 0);
  STORE(norder, 0);
  memset(&q, 0, sizeof q);
  kproc("holder", holder, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  for (int i = 0; i < 4; i++) {
    __atomic_store_n(&last_proc, (Proc*)nil, __ATOMIC_RELEASE);
    kproc("waiter", named, (void*)(uintptr)i);
    while (!__atomic_load_n(&last_proc, __ATOMIC_ACQUIRE)) sched_yield();
    uvlong kt = last_proc->kt;
    KTC_CHECK(ktc_wait(queued, &kt));
  }
  STORE(stage, 2);
  while (__atomic_load_n(&norder, __ATOMIC_ACQUIRE) < 4) sched_yield();
  for (int i = 0; i < 4; i++) KTC_CHECK_EQ(order[i], i);
}

static void canqlock_body(void* arg) {
  int* r = (int*)arg;
  r[0] = canqlock(&q);
  r[1] = canqlock(&q) == 0 ? 0 : 1; /* held by us now: a second try fails */
  if (r[0]) qunlock(&q);
}
static void canqlock_takes_a_free_lock_only(void) {
  int r2[2] = {-1, -1};
  memset(&q, 0, sizeof q);
  ktc_in_kthread(canqlock_body, r2);
  KTC_CHECK_EQ(r2[0], 1);
  KTC_CHECK_EQ(r2[1], 0);
}

/* eqlock: interrupted while queued, without the lock (R8) */
static int eq_result;
static void eq_waiter(void* arg) {
  (void)arg;
  __atomic_store_n(&sleeper, up, __ATOMIC_RELEASE);
  if (waserror()) {
    STORE(eq_result, 2); /* interrupted: not holding it */
    pexit("", 1);
  }
  eqlock(&q);
  STORE(eq_result, 1);
  qunlock(&q);
  poperror();
  pexit("", 1);
}
static int eq_done(void* p) {
  (void)p;
  return LOAD(eq_result) != 0;
}
static void eqlock_is_interruptible(void) {
  STORE(stage, 0);
  STORE(eq_result, 0);
  memset(&q, 0, sizeof q);
  kproc("holder", holder, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  sleeper = nil;
  kproc("eqwaiter", eq_waiter, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  postnote(sleeper, 1, "stop", NUser);
  KTC_CHECK(ktc_wait(eq_done, nil));
  KTC_CHECK_EQ(LOAD(eq_result), 2);
  STORE(stage, 2);
}

/* R8 under load: each waiter is either handed the lock or interrupted. */
static int handed, interrupted_n, finished;
static void racer(void* arg) {
  (void)arg;
  if (waserror()) {
    __atomic_fetch_add(&interrupted_n, 1, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&finished, 1, __ATOMIC_ACQ_REL);
    pexit("", 1);
  }
  eqlock(&q);
  __atomic_fetch_add(&handed, 1, __ATOMIC_ACQ_REL);
  qunlock(&q);
  poperror();
  __atomic_fetch_add(&finished, 1, __ATOMIC_ACQ_REL);
  pexit("", 1);
}
static Proc* racers[64];
static void spawn_racer(void* arg) {
  int i = (int)(uintptr)arg;
  __atomic_store_n(&racers[i], up, __ATOMIC_RELEASE);
  racer(nil);
}
static int all_finished(void* p) { return LOAD(finished) == *(int*)p; }
static void eqlock_handoff_vs_interrupt(void) {
  static int n = 64;
  memset(&q, 0, sizeof q);
  STORE(handed, 0);
  STORE(interrupted_n, 0);
  STORE(finished, 0);
  memset(racers, 0, sizeof racers);
  for (int i = 0; i < n; i++) kproc("racer", spawn_racer, (void*)(uintptr)i);
  for (int i = 0; i < n; i++) {
    while (!__atomic_load_n(&racers[i], __ATOMIC_ACQUIRE)) sched_yield();
    if (i % 2) postnote(racers[i], 1, "x", NUser);
  }
  KTC_CHECK(ktc_wait(all_finished, &n));
  KTC_CHECK_EQ(LOAD(handed) + LOAD(interrupted_n), n);
  KTC_CHECK_EQ(q.kt.locked, 0);
}

static uintptr got[2];
static void meets(void* arg) {
  int i = (int)(uintptr)arg;
  got[i] = rendezvous(77, (uintptr)(100 + i));
  __atomic_fetch_add(&finished, 1, __ATOMIC_ACQ_REL);
  pexit("", 1);
}
static void rendezvous_exchanges_values(void) {
  static int two_done = 2;
  STORE(finished, 0);
  kproc("a", meets, (void*)0);
  kproc("b", meets, (void*)1);
  KTC_CHECK(ktc_wait(all_finished, &two_done));
  KTC_CHECK_EQ(got[0], 101);
  KTC_CHECK_EQ(got[1], 100);
}

/* tsleep's ms is unsigned: 0 is the shortest sleep, not "forever". */
static void naps_zero(void* arg) {
  Rendez nap;
  (void)arg;
  memset(&nap, 0, sizeof nap);
  tsleep(&nap, return0, nil, 0);
  STORE(stage, 1);
  pexit("", 1);
}
static void tsleep_zero_ms_returns(void) {
  STORE(stage, 0);
  kproc("nap0", naps_zero, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
}

/* "causing it, if necessary, to wake from sleep(9) or break out of a
 * rendezvous(2)": a tsleep raises 'interrupted'; a rendezvous returns ~0. */
static char tsleep_err[ERRMAX];
static void long_nap(void* arg) {
  Rendez nap;
  (void)arg;
  memset(&nap, 0, sizeof nap);
  __atomic_store_n(&sleeper, up, __ATOMIC_RELEASE);
  if (waserror()) {
    strcpy(tsleep_err, up->errstr);
    STORE(stage, 2);
    pexit("", 1);
  }
  tsleep(&nap, return0, nil, 60 * 1000);
  STORE(stage, 3);
  pexit("", 1);
}
static void postnote_interrupts_tsleep(void) {
  STORE(stage, 0);
  sleeper = nil;
  kproc("longnap", long_nap, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  KTC_CHECK_EQ(postnote(sleeper, 1, "wake", NUser), 1);
  KTC_CHECK(ktc_wait(at_least, &two));
  KTC_CHECK_EQ(LOAD(stage), 2);
  KTC_CHECK(strcmp(tsleep_err, "interrupted") == 0);
}
static uintptr lonely_got;
static void meets_nobody(void* arg) {
  (void)arg;
  __atomic_store_n(&sleeper, up, __ATOMIC_RELEASE);
  lonely_got = rendezvous(0x5eed, 1);
  STORE(stage, 1);
  pexit("", 1);
}
static void postnote_breaks_a_rendezvous(void) {
  STORE(stage, 0);
  sleeper = nil;
  kproc("lonely", meets_nobody, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  postnote(sleeper, 1, "go", NUser);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(lonely_got == ~(uintptr)0);
}

static void qunlock_not_held(void* arg) {
  (void)arg;
  qunlock(&q);
}
static void qunlock_without_the_lock_panics(void) {
  memset(&q, 0, sizeof q);
  ktc_in_kthread(qunlock_not_held, nil);
}

static const struct ktc_case cases[] = {
    {"sleep returns after wakeup once its condition holds; wakeup returns the process woken",
     wakeup_after_the_condition},
    {"tsleep(&r, return0, nil, ms) delays for ms", tsleep_return0_delays},
    {"a pending note makes sleep raise 'interrupted' even when the condition is true",
     pending_note_beats_a_true_condition},
    {"a note posted around the sleeper's test is never lost (many rounds)",
     notes_racing_sleeps_are_never_lost},
    {"two processes sleeping on one Rendez is fatal", double_sleep_panics, "double sleep"},
    {"qunlock hands the lock to the waiters in FIFO order", qlock_hands_off_in_fifo_order},
    {"canqlock takes a free lock only", canqlock_takes_a_free_lock_only},
    {"eqlock is interrupted by a note, without the lock", eqlock_is_interruptible},
    {"eqlock: each waiter is either handed the lock or interrupted, never both",
     eqlock_handoff_vs_interrupt},
    {"rendezvous exchanges the two values", rendezvous_exchanges_values},
    {"tsleep for 0 ms returns", tsleep_zero_ms_returns},
    {"postnote wakes a process from tsleep with error 'interrupted'", postnote_interrupts_tsleep},
    {"postnote breaks a process out of a rendezvous, which returns ~0",
     postnote_breaks_a_rendezvous},
    {"qunlock of a lock not held is fatal", qunlock_without_the_lock_panics,
     "does not hold the lock"},
};

KTC_MAIN("Plan 9 sleep(9), qlock(9), rendezvous", cases)
