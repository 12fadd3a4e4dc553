/*
 * Plan 9 kproc(9) (seed 003): kproc, pexit, postnote, with error(9)'s
 * waserror/poperror/error/nexterror as kprocs use them.
 */
#include <u.h>
#include <portdat.h>
#include <portfns.h>

#include <kt/c/thread.h>
#include <sched.h>
#include <string.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static int stage;
static void* seen_arg;
static Proc* me;

static int at_least(void* p) { return LOAD(stage) >= *(int*)p; }
static int one = 1, two = 2, three = 3;

static void simple(void* arg) {
  seen_arg = arg;
  me = up;
  STORE(stage, 1);
  pexit("", 1);
}

static void kproc_runs_func_with_arg(void) {
  int x;
  STORE(stage, 0);
  kproc("simple", simple, &x);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(seen_arg == &x);
  KTC_CHECK(me != nil);
  KTC_CHECK(strcmp(me->text, "simple") == 0);
  KTC_CHECK(me->pid > 0);
}

/* "created with base and current priorities set to PriKproc" */
static Rendez never;
static void parks(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
  if (waserror()) pexit("", 1);
  sleep(&never, return0, nil);
}
static void priority_is_prikproc(void) {
  STORE(stage, 0);
  kproc("prio", parks, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(kt_thread_priority(me->kt), 130 - 2 * PriKproc);
  postnote(me, 1, "bye", NUser);
}

/* The readp example: a process reading packets from a queue, stopped with
 * postnote(readp, 1, "unbind", 0) when the interface is unbound. */
static Proc* readp;
static Rendez pktr;
static int npkts; /* guarded by the qlock below */
static QLock pktl;
static int consumed;
static char lasterr[ERRMAX];
static int havepkt(void* a) { /* read without the lock, as Plan 9 conditions are */
  (void)a;
  return __atomic_load_n(&npkts, __ATOMIC_ACQUIRE) > 0;
}
static void reader(void* arg) {
  (void)arg;
  readp = up;
  STORE(stage, 1);
  if (waserror()) {
    strcpy(lasterr, up->errstr);
    STORE(stage, 3);
    pexit("", 1);
  }
  for (;;) {
    qlock(&pktl);
    if (__atomic_load_n(&npkts, __ATOMIC_ACQUIRE) == 0) {
      qunlock(&pktl);
      sleep(&pktr, havepkt, nil);
      continue;
    }
    __atomic_fetch_sub(&npkts, 1, __ATOMIC_ACQ_REL);
    qunlock(&pktl);
    __atomic_fetch_add(&consumed, 1, __ATOMIC_ACQ_REL);
  }
}
static void feed(void* arg) { /* the driver's interrupt side, in a kernel thread */
  (void)arg;
  for (int i = 0; i < 5; i++) {
    qlock(&pktl);
    __atomic_fetch_add(&npkts, 1, __ATOMIC_ACQ_REL);
    qunlock(&pktl);
    wakeup(&pktr);
  }
}
static int consumed_all(void* p) { return LOAD(consumed) == *(int*)p; }
static int gone(void* p) { return kt_thread_state(*(uvlong*)p) < 0; }
static void postnote_stops_a_reading_kproc(void) {
  static int five = 5;
  STORE(stage, 0);
  STORE(consumed, 0);
  npkts = 0;
  kproc("reader", reader, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  ktc_in_kthread(feed, nil);
  KTC_CHECK(ktc_wait(consumed_all, &five));
  uvlong kt = readp->kt;
  KTC_CHECK_EQ(postnote(readp, 1, "unbind", 0), 1);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK(strcmp(lasterr, "interrupted") == 0); /* error(9) 'interrupted' */
  KTC_CHECK(ktc_wait(gone, &kt));
}

static void noted(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
  while (LOAD(stage) < 2) sched_yield();
  STORE(stage, 3);
  pexit("", 1);
}
static void at_most_nnote_are_kept(void) {
  STORE(stage, 0);
  kproc("noted", noted, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  int delivered = 0;
  for (int i = 0; i < NNOTE + 3; i++) delivered += postnote(me, 1, "note", NUser);
  KTC_CHECK_EQ(delivered, NNOTE); /* "returns non-zero iff the note has been delivered" */
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &three));
}

static void forced_out_even_when_full(void* arg) {
  (void)arg;
  me = up;
  for (int i = 0; i < NNOTE; i++) postnote(up, 0, "fill", NUser);
  STORE(stage, 1);
  if (waserror()) {
    STORE(stage, 3);
    pexit("", 1);
  }
  while (LOAD(stage) < 2) sched_yield();
  /* the pending notes make this sleep raise at once */
  sleep(&pktr, return0, nil);
  STORE(stage, 4);
  pexit("", 1);
}
static void full_queue_still_interrupts(void) {
  STORE(stage, 0);
  kproc("full", forced_out_even_when_full, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(postnote(me, 1, "dropped", NUser), 0);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK_EQ(LOAD(stage), 3);
}

static void postnote_to_nil_or_gone(void) {
  Proc fake;
  STORE(stage, 0);
  memset(&fake, 0, sizeof fake);
  KTC_CHECK_EQ(postnote(nil, 1, "x", NUser), 0);
  KTC_CHECK_EQ(postnote(&fake, 1, "x", NUser), 0);
  kproc("brief", simple, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong kt = me->kt;
  KTC_CHECK(ktc_wait(gone, &kt));
  KTC_CHECK_EQ(postnote(me, 1, "late", NUser), 0);
}

/* NDebug: "suspend the process in a Broken state, preserving its memory" */
static void debuggee(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
  if (waserror()) pexit(up->errstr, 1); /* the NDebug note keeps it Broken */
  sleep(&pktr, return0, nil);
}
static int broken(void* p) { return kt_thread_state(*(uvlong*)p) == KT_BROKEN; }
static void ndebug_leaves_it_broken(void) {
  STORE(stage, 0);
  kproc("debuggee", debuggee, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong kt = me->kt;
  KTC_CHECK_EQ(postnote(me, 1, "sys: trap", NDebug), 1);
  KTC_CHECK(ktc_wait(broken, &kt));
}

static void returns(void* arg) {
  me = up;
  (void)arg;
  STORE(stage, 1);
}
static void returning_kproc_ends_broken(void) {
  STORE(stage, 0);
  kproc("returner", returns, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong kt = me->kt;
  KTC_CHECK(ktc_wait(broken, &kt));
}

/* error(9) */
static char trail[64];
static void inner(void) {
  if (waserror()) {
    strcat(trail, "i");
    nexterror();
  }
  error("boom");
}
static void nests(void* arg) {
  (void)arg;
  trail[0] = '\0';
  if (waserror()) {
    strcat(trail, "o");
    strcat(trail, up->errstr);
    STORE(stage, 1);
    pexit("", 1);
  }
  if (!waserror()) {
    poperror();
  }
  inner();
}
static void errors_unwind_through_waserror_frames(void) {
  STORE(stage, 0);
  kproc("errs", nests, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(strcmp(trail, "ioboom") == 0);
}

static void too_deep(void* arg) {
  (void)arg;
  for (int i = 0; i <= NERR; i++)
    if (waserror()) pexit("", 1);
}
static void waserror_overflow_panics(void) {
  kproc("deep", too_deep, nil);
  for (;;) sched_yield();
}
static void bare_error(void* arg) {
  (void)arg;
  error("nowhere");
}
static void error_without_waserror_panics(void) {
  kproc("bare", bare_error, nil);
  for (;;) sched_yield();
}
static void kproc_nil_func_panics(void) { kproc("x", nil, nil); }
static void pexit_from_host_panics(void) { pexit("", 1); }

static const struct ktc_case cases[] = {
    {"kproc runs (*func)(arg) in a new process named by text", kproc_runs_func_with_arg},
    {"the kproc runs at PriKproc", priority_is_prikproc},
    {"postnote(readp, 1, \"unbind\", 0) stops a kproc reading packets: it raises "
     "error('interrupted')",
     postnote_stops_a_reading_kproc},
    {"up to NNOTE notes can be pending; postnote returns non-zero iff delivered",
     at_most_nnote_are_kept},
    {"past NNOTE the process is forced out of sleep all the same, the message discarded",
     full_queue_still_interrupts},
    {"postnote to nil or to a process that is gone returns 0", postnote_to_nil_or_gone},
    {"NDebug: the process is suspended in a Broken state", ndebug_leaves_it_broken},
    {"a kproc whose func returns ends as pexit(\"kproc exiting\", 0): Broken",
     returning_kproc_ends_broken},
    {"error unwinds to the innermost waserror; nexterror passes it outward",
     errors_unwind_through_waserror_frames},
    {"more than NERR waserror frames is fatal", waserror_overflow_panics,
     "error stack overflow"},
    {"error with no waserror frame is fatal", error_without_waserror_panics,
     "no waserror frame"},
    {"kproc with a nil func is fatal", kproc_nil_func_panics, "kproc: nil func"},
    {"pexit outside a kproc is fatal", pexit_from_host_panics, "not a kproc"},
};

KTC_MAIN("Plan 9 kproc(9)", cases)
