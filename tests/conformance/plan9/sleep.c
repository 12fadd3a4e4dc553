/*
 * Plan 9 sleep(9): sleep, wakeup, tsleep, return0, and how notes end a
 * sleep (semantics.md 6.4; races R4, R7, R9).
 */
#include <kt/c/face.h>
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
static int at_least(void* p) { return LOAD(stage) >= *(int*)p; }
static int one = 1, two = 2, three = 3;

static Proc* sleeper;
static Rendez r;
static int cond;
static int condtrue(void* a) {
  (void)a;
  return LOAD(cond);
}
/* asleep: the sleeper is blocked (in sleep, on r) */
static int asleep(void* p) {
  (void)p;
  Proc* s = LOAD(sleeper);
  return s && kt_thread_state(kt_face_owner(s)) == KT_SLEEPING;
}
static long ms_since(const struct timespec* a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}
static void reset(void) {
  STORE(stage, 0);
  STORE(cond, 0);
  STORE(sleeper, (Proc*)nil);
  memset(&r, 0, sizeof r);
}

/* "Sleep evaluates f(arg). If true, the event has happened and sleep
 * returns immediately." */
static int evaluated;
static int counts_true(void* a) {
  (void)a;
  evaluated++;
  return 1;
}
static void sleeps_on_true(void* arg) {
  (void)arg;
  sleep(&r, counts_true, nil);
  STORE(stage, 1);
  pexit("", 1);
}
static void true_condition_returns_at_once(void) {
  reset();
  evaluated = 0;
  kproc("true", sleeps_on_true, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(evaluated, 1);
}

/* "Otherwise, sleep blocks on the event variable r, awaiting wakeup."
 * "Wakeup is called by either a process or an interrupt handler to wake any
 * process sleeping at r": it returns the process woken. */
static void waits_for_cond(void* arg) {
  (void)arg;
  STORE(sleeper, up);
  sleep(&r, condtrue, nil);
  STORE(stage, 1);
  pexit("", 1);
}
static void wakeup_ends_the_sleep(void) {
  reset();
  kproc("cond", waits_for_cond, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  struct timespec ms20 = {0, 20000000};
  nanosleep(&ms20, NULL);
  KTC_CHECK_EQ(LOAD(stage), 0); /* still asleep */
  STORE(cond, 1);
  Proc* woken = wakeup(&r); /* from a host thread: the interrupt handler's place */
  KTC_CHECK(woken == LOAD(sleeper));
  KTC_CHECK(ktc_wait(at_least, &one));
}

/* "It has no effect if there is no sleeping process": wakeups are not
 * remembered; wakeup returns nil. */
static void wakeup_without_a_sleeper_does_nothing(void) {
  reset();
  KTC_CHECK(wakeup(&r) == nil);
  KTC_CHECK(wakeup(&r) == nil);
  kproc("cond", waits_for_cond, nil);
  KTC_CHECK(ktc_wait(asleep, nil)); /* the earlier wakeups did not count */
  STORE(cond, 1);
  KTC_CHECK(wakeup(&r) != nil);
  KTC_CHECK(ktc_wait(at_least, &one));
}

/* The woken process must re-check its condition: sleep returns after a
 * wakeup without evaluating f again. */
static int woke_with;
static void rechecks(void* arg) {
  (void)arg;
  STORE(sleeper, up);
  sleep(&r, condtrue, nil);
  woke_with = condtrue(nil);
  STORE(stage, 1);
  pexit("", 1);
}
static void woken_sleeper_rechecks(void) {
  reset();
  kproc("recheck", rechecks, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  KTC_CHECK(wakeup(&r) != nil); /* the condition is still false */
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(woke_with, 0);
}

/* A kproc wakes another: the usual producer and consumer. */
static int items, got_items;
static int have_items(void* a) {
  (void)a;
  return LOAD(items) > 0;
}
static void consumer(void* arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    sleep(&r, have_items, nil);
    __atomic_fetch_sub(&items, 1, __ATOMIC_ACQ_REL);
    got_items++;
  }
  STORE(stage, 1);
  pexit("", 1);
}
static void producer(void* arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    while (LOAD(items) > 0) kt_thread_yield();
    __atomic_fetch_add(&items, 1, __ATOMIC_ACQ_REL);
    wakeup(&r);
  }
  pexit("", 1);
}
static void kprocs_wake_each_other(void) {
  reset();
  STORE(items, 0);
  got_items = 0;
  kproc("consumer", consumer, nil);
  kproc("producer", producer, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(got_items, 1000);
}

/* R4: a wakeup that races the sleeper's test is never lost: the condition
 * is made true, then wakeup, at every moment of the sleep's entry. */
static int rounds, round_seen;
static int round_ready(void* a) {
  (void)a;
  for (int i = LOAD(rounds) % 64; i > 0; i--) __builtin_ia32_pause(); /* widen the window */
  return LOAD(round_seen) < LOAD(rounds);
}
static void catches_rounds(void* arg) {
  int n = *(int*)arg;
  STORE(sleeper, up);
  while (LOAD(round_seen) < n) {
    sleep(&r, round_ready, nil);
    if (LOAD(round_seen) < LOAD(rounds)) STORE(round_seen, LOAD(round_seen) + 1);
  }
  STORE(stage, 1);
  pexit("", 1);
}
static int caught_up(void* p) {
  (void)p;
  return LOAD(round_seen) == LOAD(rounds);
}
static void wakeups_racing_sleeps_are_never_lost(void) {
  static int n = 3000;
  reset();
  STORE(rounds, 0);
  STORE(round_seen, 0);
  kproc("rounds", catches_rounds, &n);
  for (int i = 1; i <= n; i++) {
    STORE(rounds, i);
    wakeup(&r);
    KTC_CHECK(ktc_wait(caught_up, nil));
  }
  KTC_CHECK(ktc_wait(at_least, &one));
}

/* "Tsleep is similar to sleep, except that if the condition f(arg) is false
 * and the caller does sleep, and nothing else wakes it within ms
 * milliseconds, the system will wake it." The delay idiom:
 * tsleep(&up->sleep, return0, nil, ms). */
static long slept_ms;
static void naps(void* arg) {
  ulong ms = *(ulong*)arg;
  struct timespec a;
  clock_gettime(CLOCK_MONOTONIC, &a);
  tsleep(&up->sleep, return0, nil, ms);
  slept_ms = ms_since(&a);
  STORE(stage, 1);
  pexit("", 1);
}
static void tsleep_times_out(void) {
  static ulong ms = 30;
  reset();
  kproc("nap", naps, &ms);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(slept_ms >= 30);
  KTC_CHECK(slept_ms < 1000);
}

/* tsleep with 0 ms times out at once (9front arms a timer of 0 ns). */
static void tsleep_zero_returns_soon(void) {
  static ulong ms = 0;
  reset();
  kproc("nap0", naps, &ms);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(slept_ms < 100);
}

/* "Tsleep's caller must check its environment to decide whether timeout or
 * the event occurred": a wakeup ends it early, a true f ends it at once. */
static void tsleeps_long(void* arg) {
  (void)arg;
  struct timespec a;
  STORE(sleeper, up);
  clock_gettime(CLOCK_MONOTONIC, &a);
  tsleep(&r, condtrue, nil, 10000);
  slept_ms = ms_since(&a);
  STORE(stage, 1);
  pexit("", 1);
}
static void tsleep_ends_early_on_wakeup(void) {
  reset();
  kproc("tnap", tsleeps_long, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  STORE(cond, 1);
  KTC_CHECK(wakeup(&r) != nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(slept_ms < 5000);
  reset();
  STORE(cond, 1);
  kproc("tnap", tsleeps_long, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(slept_ms < 5000);
}

/* "Return0 ignores its arguments and returns zero." */
static void return0_returns_zero(void) {
  int x;
  KTC_CHECK_EQ(return0(nil), 0);
  KTC_CHECK_EQ(return0(&x), 0);
}

/* A note ends a sleep with error(9) 'interrupted' (kproc(9)); sleep clears
 * the note's interruption, so the next sleep sleeps. */
static char errseen[ERRMAX];
static void interrupted_twice(void* arg) {
  (void)arg;
  STORE(sleeper, up);
  if (waserror()) {
    strcpy(errseen, up->errstr);
    STORE(stage, 1);
    if (!waserror()) {
      tsleep(&r, return0, nil, 50); /* no new note: times out */
      poperror();
      STORE(stage, 2);
    }
    pexit("", 1);
  }
  sleep(&r, return0, nil);
  pexit("", 1);
}
static void a_note_interrupts_sleep(void) {
  reset();
  errseen[0] = '\0';
  kproc("intr", interrupted_twice, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  KTC_CHECK_EQ(postnote(LOAD(sleeper), 1, "stop", NUser), 1);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(strcmp(errseen, Eintr) == 0);
  KTC_CHECK(ktc_wait(at_least, &two));
}

/* A note interrupts tsleep too. */
static void tsleep_interrupted(void* arg) {
  (void)arg;
  STORE(sleeper, up);
  if (waserror()) {
    strcpy(errseen, up->errstr);
    STORE(stage, 1);
    pexit("", 1);
  }
  tsleep(&r, return0, nil, 10000);
  STORE(stage, 2);
  pexit("", 1);
}
static void a_note_interrupts_tsleep(void) {
  reset();
  errseen[0] = '\0';
  kproc("tintr", tsleep_interrupted, nil);
  KTC_CHECK(ktc_wait(asleep, nil));
  postnote(LOAD(sleeper), 1, "stop", NUser);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(LOAD(stage), 1);
  KTC_CHECK(strcmp(errseen, "interrupted") == 0);
}

/* R9: a pending note wins even over a true condition, in sleep and tsleep. */
static void note_then_sleep(void* arg) {
  int timed = *(int*)arg;
  STORE(cond, 1);
  postnote(up, 1, "first", NUser);
  if (waserror()) {
    STORE(stage, 2);
    pexit("", 1);
  }
  if (timed)
    tsleep(&r, condtrue, nil, 1000);
  else
    sleep(&r, condtrue, nil);
  STORE(stage, 1);
  pexit("", 1);
}
static void pending_note_beats_a_true_condition(void) {
  static int plain = 0, timed = 1;
  reset();
  kproc("pending", note_then_sleep, &plain);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(LOAD(stage), 2);
  reset();
  kproc("pending", note_then_sleep, &timed);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(LOAD(stage), 2);
}

/* R7: a note posted between the condition check and the sleep is never
 * lost. The condition itself waits for the note, so it lands exactly
 * there; many rounds. */
static int in_cond, posted, r7_raised;
static int waits_for_the_note(void* a) {
  (void)a;
  STORE(in_cond, 1);
  for (long spins = 0; !LOAD(posted) && spins < 100000000; spins++) __builtin_ia32_pause();
  return 0;
}
static void sleeps_through_notes(void* arg) {
  int n = *(int*)arg;
  STORE(sleeper, up);
  for (int i = 0; i < n; i++) {
    while (LOAD(stage) <= i) kt_thread_yield(); /* round i+1 */
    if (waserror()) {
      __atomic_fetch_add(&r7_raised, 1, __ATOMIC_ACQ_REL);
      continue;
    }
    sleep(&r, waits_for_the_note, nil);
    poperror(); /* a lost note: the test times out */
  }
  pexit("", 1);
}
static int in_the_condition(void* p) {
  (void)p;
  return LOAD(in_cond);
}
static int raised(void* p) { return LOAD(r7_raised) >= *(int*)p; }
static void note_between_test_and_sleep_is_kept(void) {
  static int n = 1000;
  reset();
  STORE(r7_raised, 0);
  kproc("r7", sleeps_through_notes, &n);
  while (!LOAD(sleeper)) sched_yield();
  Proc* p = LOAD(sleeper);
  for (int i = 1; i <= n; i++) {
    STORE(in_cond, 0);
    STORE(posted, 0);
    STORE(stage, i);
    KTC_CHECK(ktc_wait(in_the_condition, nil));
    postnote(p, 1, "now", NUser);
    STORE(posted, 1);
    KTC_CHECK(ktc_wait(raised, &i));
  }
  KTC_CHECK_EQ(LOAD(r7_raised), n);
}

/* R7 at random moments, several vCPUs: each note ends exactly one sleep. */
static int rounds_done;
static int spin_a_little(void* a) {
  (void)a;
  for (int i = LOAD(rounds_done) % 97; i > 0; i--) __builtin_ia32_pause();
  return 0;
}
static void loops_sleeping(void* arg) {
  (void)arg;
  STORE(sleeper, up);
  for (;;) {
    if (waserror()) {
      __atomic_fetch_add(&rounds_done, 1, __ATOMIC_ACQ_REL);
      continue;
    }
    sleep(&r, spin_a_little, nil);
    poperror();
  }
}
static int rounds_at_least(void* p) { return LOAD(rounds_done) >= *(int*)p; }
static void notes_racing_sleeps_are_never_lost(void) {
  static int target = 3000;
  reset();
  STORE(rounds_done, 0);
  kproc("looper", loops_sleeping, nil);
  while (!LOAD(sleeper)) sched_yield();
  for (int i = 1; i <= target; i++) {
    postnote(LOAD(sleeper), 1, "poke", NExit); /* a system note: the queue never fills */
    KTC_CHECK(ktc_wait(rounds_at_least, &i));
    if (LOAD(rounds_done) > i) break; /* one note, two interruptions */
  }
  KTC_CHECK_EQ(LOAD(rounds_done), target);
}

/* "double sleep": a second process sleeping on one Rendez is fatal. */
static void double_sleep(void* arg) {
  (void)arg;
  sleep(&r, return0, nil);
}
static void double_sleep_panics(void) {
  reset();
  kproc("first", double_sleep, nil);
  kproc("second", double_sleep, nil);
  for (;;) sched_yield();
}
static void sleep_on_host_panics(void) { sleep(&r, return0, nil); }
static void sleeps_anyway(void* arg) {
  (void)arg;
  tsleep(&r, return0, nil, 1);
}
static void sleep_in_foreign_kthread_panics(void) { ktc_in_kthread(sleeps_anyway, nil); }

static const struct ktc_case cases[] = {
    {"sleep evaluates f(arg); if true it returns immediately", true_condition_returns_at_once},
    {"otherwise it blocks until wakeup, which returns the process woken", wakeup_ends_the_sleep},
    {"wakeup has no effect if no process sleeps: it is not remembered",
     wakeup_without_a_sleeper_does_nothing},
    {"a woken process must re-check its condition", woken_sleeper_rechecks},
    {"a kproc's wakeup ends another kproc's sleep", kprocs_wake_each_other},
    {"a wakeup racing the sleeper's test is never lost", wakeups_racing_sleeps_are_never_lost},
    {"tsleep: if nothing wakes it within ms milliseconds, the system does", tsleep_times_out},
    {"tsleep with 0 ms returns soon", tsleep_zero_returns_soon},
    {"tsleep ends early on a wakeup, at once when f is true", tsleep_ends_early_on_wakeup},
    {"return0 ignores its argument and returns zero", return0_returns_zero},
    {"a note ends a sleep with error 'interrupted'; the next sleep sleeps",
     a_note_interrupts_sleep},
    {"a note ends a tsleep with error 'interrupted'", a_note_interrupts_tsleep},
    {"a pending note wins even over a true condition", pending_note_beats_a_true_condition},
    {"a note posted between the condition test and the sleep is never lost",
     note_between_test_and_sleep_is_kept},
    {"notes posted at random moments each end exactly one sleep (4 vCPUs)",
     notes_racing_sleeps_are_never_lost, NULL, 4},
    {"two processes sleeping on one Rendez is fatal", double_sleep_panics, "double sleep"},
    {"sleep outside a kproc is fatal", sleep_on_host_panics, "sleep: called outside a kproc"},
    {"tsleep in a kernel thread kproc did not make is fatal", sleep_in_foreign_kthread_panics,
     "tsleep: called outside a kproc"},
};

KTC_MAIN("Plan 9 sleep(9)", cases)
