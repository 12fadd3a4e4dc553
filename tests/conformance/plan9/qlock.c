/*
 * Plan 9 qlock(9): qlock, canqlock, qunlock and 9front's eqlock, the
 * interruptible qlock (semantics.md 6.5; race R8).
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

static QLock q;
static uvlong tid_of(Proc* p) { return kt_face_owner(p); }
/* queued: p waits (on the lock, or a Rendez) */
static int queued(void* pp) {
  Proc* p = LOAD(*(Proc**)pp);
  return p && kt_thread_state(tid_of(p)) == KT_SLEEPING;
}
static uvlong owner(void) { return __atomic_load_n(&q.kt.owner, __ATOMIC_ACQUIRE); }

/* holder: takes q, says so, and lets it go at stage 2. */
static Proc* holder_p;
static void holder(void* arg) {
  (void)arg;
  STORE(holder_p, up);
  qlock(&q);
  STORE(stage, 1);
  while (LOAD(stage) < 2) kt_thread_yield();
  qunlock(&q);
  pexit("", 1);
}
static void start_holder(void) {
  memset(&q, 0, sizeof q);
  STORE(stage, 0);
  STORE(holder_p, (Proc*)nil);
  kproc("holder", holder, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
}

/* QLocks start zeroed; qlock takes a free lock, qunlock frees it. */
static QLock zeroed; /* static storage: zero */
static int took;
static void takes_zeroed(void* arg) {
  (void)arg;
  qlock(&zeroed);
  took = kt_qlock_held(&zeroed.kt);
  qunlock(&zeroed);
  took += !kt_qlock_held(&zeroed.kt) && !zeroed.kt.locked;
}
static void qlock_takes_a_zeroed_lock(void) {
  took = 0;
  ktc_in_kthread(takes_zeroed, nil); /* any kernel thread may qlock */
  KTC_CHECK_EQ(took, 2);
}

/* canqlock takes a free lock and returns 1, else 0: held by another, or
 * by the caller itself (it never blocks nor panics). */
static int tries[3];
static void tries_to_lock(void* arg) {
  (void)arg;
  tries[0] = canqlock(&q);
  tries[1] = canqlock(&q);
  if (tries[0]) qunlock(&q);
}
static void tries_held(void* arg) {
  (void)arg;
  tries[2] = canqlock(&q);
}
static void canqlock_takes_a_free_lock_only(void) {
  memset(&q, 0, sizeof q);
  memset(tries, -1, sizeof tries);
  ktc_in_kthread(tries_to_lock, nil);
  KTC_CHECK_EQ(tries[0], 1);
  KTC_CHECK_EQ(tries[1], 0);
  start_holder();
  ktc_in_kthread(tries_held, nil);
  KTC_CHECK_EQ(tries[2], 0);
  STORE(stage, 2);
}

/* Waiters queue in FIFO order and qunlock hands the lock to the first. */
static int order[8], norder;
static Proc* last_waiter;
static void waits_in_turn(void* arg) {
  STORE(last_waiter, up);
  qlock(&q);
  int k = LOAD(norder); /* the lock orders the waiters; the store publishes */
  order[k] = (int)(uintptr)arg;
  STORE(norder, k + 1);
  qunlock(&q);
  pexit("", 1);
}
static int all_took(void* p) { return LOAD(norder) == *(int*)p; }
static void qunlock_hands_off_in_fifo_order(void) {
  static int n = 6;
  norder = 0;
  start_holder();
  for (int i = 0; i < n; i++) {
    STORE(last_waiter, (Proc*)nil);
    kproc("waiter", waits_in_turn, (void*)(uintptr)i);
    KTC_CHECK(ktc_wait(queued, &last_waiter));
  }
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(all_took, &n));
  for (int i = 0; i < n; i++) KTC_CHECK_EQ(order[i], i);
}

/* The hand-off is direct: the lock never looks free in between, even
 * before the waiter runs. */
static Proc* waiter_p;
static int free_after_unlock = -1;
static uvlong owner_after_unlock;
static void hands_then_tries(void* arg) {
  (void)arg;
  qlock(&q);
  STORE(stage, 1);
  while (!queued(&waiter_p)) kt_thread_yield();
  qunlock(&q);
  owner_after_unlock = owner();
  free_after_unlock = canqlock(&q);
  STORE(stage, 2);
  pexit("", 1);
}
static void takes(void* arg) {
  (void)arg;
  STORE(waiter_p, up);
  qlock(&q);
  qunlock(&q);
  STORE(stage, 3);
  pexit("", 1);
}
static void handoff_never_frees_the_lock(void) {
  memset(&q, 0, sizeof q);
  STORE(stage, 0);
  STORE(waiter_p, (Proc*)nil);
  kproc("handser", hands_then_tries, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  kproc("taker", takes, nil);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK_EQ(free_after_unlock, 0);
  KTC_CHECK(owner_after_unlock != 0);
}

/* qlock is not interruptible: a note leaves the waiter queued; it gets the
 * lock in turn, and the note makes its next sleep raise. */
static char errseen[ERRMAX];
static int got_lock;
static void plain_waiter(void* arg) {
  Rendez r;
  (void)arg;
  memset(&r, 0, sizeof r);
  STORE(waiter_p, up);
  if (waserror()) {
    strcpy(errseen, up->errstr);
    STORE(stage, 4);
    pexit("", 1);
  }
  qlock(&q);
  STORE(got_lock, 1);
  qunlock(&q);
  STORE(stage, 3);
  tsleep(&r, return0, nil, 5000); /* the pending note ends it */
  pexit("", 1);
}
static void qlock_is_not_interrupted(void) {
  static int four = 4;
  STORE(got_lock, 0);
  errseen[0] = '\0';
  start_holder();
  STORE(waiter_p, (Proc*)nil);
  kproc("plain", plain_waiter, nil);
  KTC_CHECK(ktc_wait(queued, &waiter_p));
  KTC_CHECK_EQ(postnote(waiter_p, 1, "stop", NUser), 1);
  struct timespec ms20 = {0, 20000000};
  nanosleep(&ms20, NULL);
  KTC_CHECK(queued(&waiter_p)); /* still waiting for the lock */
  KTC_CHECK_EQ(LOAD(got_lock), 0);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &four));
  KTC_CHECK_EQ(LOAD(got_lock), 1);
  KTC_CHECK(strcmp(errseen, "interrupted") == 0);
}

/* eqlock takes a free lock even with a note pending; the note stays
 * pending for the next sleep. */
static int held_free;
static void eqlock_free_with_note(void* arg) {
  Rendez r;
  (void)arg;
  memset(&r, 0, sizeof r);
  postnote(up, 1, "pending", NUser);
  if (waserror()) {
    strcpy(errseen, up->errstr);
    STORE(stage, 2);
    pexit("", 1);
  }
  eqlock(&q);
  held_free = kt_qlock_held(&q.kt);
  qunlock(&q);
  STORE(stage, 1);
  tsleep(&r, return0, nil, 5000);
  pexit("", 1);
}
static void eqlock_takes_a_free_lock_despite_a_note(void) {
  memset(&q, 0, sizeof q);
  STORE(stage, 0);
  held_free = 0;
  errseen[0] = '\0';
  kproc("eqfree", eqlock_free_with_note, nil);
  KTC_CHECK(ktc_wait(at_least, &two));
  KTC_CHECK_EQ(held_free, 1);
  KTC_CHECK(strcmp(errseen, "interrupted") == 0);
}

/* eqlock of a held lock with a note pending raises at once, unqueued. */
static int eq_result;
static void eqlock_held_with_note(void* arg) {
  (void)arg;
  postnote(up, 1, "pending", NUser);
  if (waserror()) {
    STORE(eq_result, 2);
    strcpy(errseen, up->errstr);
    pexit("", 1);
  }
  eqlock(&q);
  STORE(eq_result, 1);
  qunlock(&q);
  pexit("", 1);
}
static int eq_done(void* p) {
  (void)p;
  return LOAD(eq_result) != 0;
}
static void eqlock_raises_at_once_on_a_pending_note(void) {
  STORE(eq_result, 0);
  errseen[0] = '\0';
  start_holder();
  kproc("eqheld", eqlock_held_with_note, nil);
  KTC_CHECK(ktc_wait(eq_done, nil));
  KTC_CHECK_EQ(LOAD(eq_result), 2);
  KTC_CHECK(q.kt.head == NULL); /* never queued */
  KTC_CHECK(strcmp(errseen, "interrupted") == 0);
  STORE(stage, 2);
}

/* A note interrupts a process queued in eqlock: it raises 'interrupted'
 * without the lock, and leaves the queue (the holder's qunlock frees it). */
static void eq_waiter(void* arg) {
  (void)arg;
  STORE(waiter_p, up);
  if (waserror()) {
    STORE(eq_result, owner() == tid_of(up) ? 3 : 2);
    pexit("", 1);
  }
  eqlock(&q);
  STORE(eq_result, 1);
  qunlock(&q);
  poperror();
  pexit("", 1);
}
static int holder_gone(void* p) {
  (void)p;
  return kt_thread_state(tid_of(LOAD(holder_p))) < 0;
}
static void eqlock_is_interrupted_without_the_lock(void) {
  STORE(eq_result, 0);
  start_holder();
  STORE(waiter_p, (Proc*)nil);
  kproc("eqwaiter", eq_waiter, nil);
  KTC_CHECK(ktc_wait(queued, &waiter_p));
  postnote(waiter_p, 1, "stop", NUser);
  KTC_CHECK(ktc_wait(eq_done, nil));
  KTC_CHECK_EQ(LOAD(eq_result), 2);
  KTC_CHECK(q.kt.head == NULL);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(holder_gone, nil));
  KTC_CHECK_EQ(q.kt.locked, 0); /* nobody to hand it to */
}

/* R8: a note racing qunlock's hand-off. Each round the waiter is either
 * handed the lock (and the late note raises its next sleep) or interrupted
 * (and holds nothing), never both; many rounds. */
enum { kHanded = 1, kInterrupted = 2, kBoth = 3 };
static int round_no, round_done, holder_done, outcome, counts[4];
static int go;
static void r8_holder(void* arg) {
  (void)arg;
  for (int i = 1;; i++) {
    while (LOAD(round_no) < i && LOAD(round_no) >= 0) kt_thread_yield();
    if (LOAD(round_no) < 0) break;
    qlock(&q);
    STORE(stage, 1);
    while (!LOAD(go)) kt_thread_yield();
    for (int s = i % 50; s > 0; s--) __builtin_ia32_pause();
    qunlock(&q);
    STORE(holder_done, i);
  }
  pexit("", 1);
}
static void r8_waiter(void* arg) {
  Rendez r;
  (void)arg;
  memset(&r, 0, sizeof r);
  STORE(waiter_p, up);
  for (int i = 1;; i++) {
    while (LOAD(round_no) < i && LOAD(round_no) >= 0) kt_thread_yield();
    if (LOAD(round_no) < 0) break;
    while (LOAD(stage) < 1) kt_thread_yield(); /* the holder has it */
    if (waserror()) {
      /* interrupted: must not hold it */
      STORE(outcome, owner() == tid_of(up) ? kBoth : kInterrupted);
      STORE(round_done, i);
      continue;
    }
    eqlock(&q);
    poperror();
    int late_note_raised = 0;
    if (waserror()) {
      late_note_raised = 1;
    } else {
      tsleep(&r, return0, nil, 5000);
      poperror();
    }
    STORE(outcome, late_note_raised ? kHanded : kBoth);
    qunlock(&q);
    STORE(round_done, i);
  }
  pexit("", 1);
}
/* A round ends when both are through it: an interrupted waiter may finish
 * before the holder has even seen go. */
static int round_finished(void* p) {
  return LOAD(round_done) == *(int*)p && LOAD(holder_done) == *(int*)p;
}
static void eqlock_handoff_vs_interrupt(void) {
  const int n = 500;
  memset(&q, 0, sizeof q);
  memset(counts, 0, sizeof counts);
  STORE(round_no, 0);
  STORE(round_done, 0);
  STORE(holder_done, 0);
  STORE(waiter_p, (Proc*)nil);
  kproc("r8holder", r8_holder, nil);
  kproc("r8waiter", r8_waiter, nil);
  while (!LOAD(waiter_p)) sched_yield();
  for (int i = 1; i <= n; i++) {
    STORE(stage, 0);
    STORE(go, 0);
    STORE(outcome, 0);
    STORE(round_no, i);
    KTC_CHECK(ktc_wait(queued, &waiter_p)); /* queued on the held lock */
    STORE(go, 1);
    for (int s = (i * 7) % 50; s > 0; s--) __builtin_ia32_pause();
    postnote(waiter_p, 1, "race", NExit);
    if (!ktc_wait(round_finished, &i)) {
      KTC_CHECK(!"round finished");
      break;
    }
    counts[LOAD(outcome)]++;
    if (LOAD(outcome) != kHanded && LOAD(outcome) != kInterrupted) break;
  }
  STORE(round_no, -1);
  KTC_CHECK_EQ(counts[kBoth] + counts[0], 0);
  KTC_CHECK_EQ(counts[kHanded] + counts[kInterrupted], n);
  KTC_CHECK_EQ(q.kt.locked, 0);
}

/* Misuse is fatal. */
static void unlocks_free(void* arg) {
  (void)arg;
  qunlock(&q);
}
static void qunlock_of_a_free_lock_panics(void) {
  memset(&q, 0, sizeof q);
  ktc_in_kthread(unlocks_free, nil);
}
static void qunlock_of_anothers_lock_panics(void) {
  start_holder();
  ktc_in_kthread(unlocks_free, nil);
}
static void relocks(void* arg) {
  (void)arg;
  qlock(&q);
  qlock(&q);
}
static void qlock_of_a_held_lock_by_its_holder_panics(void) {
  memset(&q, 0, sizeof q);
  ktc_in_kthread(relocks, nil);
}
static void eqlocks(void* arg) {
  (void)arg;
  eqlock(&q);
}
static void eqlock_outside_a_kproc_panics(void) { ktc_in_kthread(eqlocks, nil); }
static void qlock_on_host_panics(void) { qlock(&q); }

static const struct ktc_case cases[] = {
    {"QLocks start zeroed; qlock takes a free lock, qunlock frees it", qlock_takes_a_zeroed_lock},
    {"canqlock takes a free lock (1), else returns 0, even to the holder",
     canqlock_takes_a_free_lock_only},
    {"waiters queue in FIFO order; qunlock hands the lock to the first",
     qunlock_hands_off_in_fifo_order},
    {"the hand-off is direct: the lock never looks free in between", handoff_never_frees_the_lock},
    {"qlock is not interrupted by a note; the note raises the next sleep",
     qlock_is_not_interrupted},
    {"eqlock takes a free lock even with a note pending, which stays pending",
     eqlock_takes_a_free_lock_despite_a_note},
    {"eqlock of a held lock with a note pending raises 'interrupted' without queueing",
     eqlock_raises_at_once_on_a_pending_note},
    {"a note interrupts a process queued in eqlock: 'interrupted', without the lock",
     eqlock_is_interrupted_without_the_lock},
    {"eqlock racing a hand-off: handed the lock or interrupted, never both (many rounds)",
     eqlock_handoff_vs_interrupt},
    {"qunlock of a free lock is fatal", qunlock_of_a_free_lock_panics, "does not hold the lock"},
    {"qunlock of a lock another process holds is fatal", qunlock_of_anothers_lock_panics,
     "does not hold the lock"},
    {"qlock of a lock the caller holds is fatal (it would never return)",
     qlock_of_a_held_lock_by_its_holder_panics, "already holds it"},
    {"eqlock outside a kproc is fatal", eqlock_outside_a_kproc_panics,
     "eqlock: called outside a kproc"},
    {"qlock on a host thread is fatal", qlock_on_host_panics, "called from a host thread"},
};

KTC_MAIN("Plan 9 qlock(9)", cases)
