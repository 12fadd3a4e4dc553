/*
 * Plan 9 error(9): waserror, poperror, error, nexterror as kernel C code
 * uses them, on the per-process label stack (semantics.md 6.7, 9). The C++
 * side of the rule in compat/plan9/portfns.h is error_cxx.cc.
 */
#include <kt/c/face.h>
#include <kt/c/thread.h>
#include <portdat.h>
#include <portfns.h>
#include <sched.h>
#include <string.h>
#include <u.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* in_kproc() runs fn(arg) in a kproc and waits until it is done. */
static int done;
static void (*body_fn)(void*);
static void body(void* arg) {
  body_fn(arg);
  STORE(done, 1);
  pexit("", 1);
}
static int is_done(void* p) {
  (void)p;
  return LOAD(done);
}
static void in_kproc(void (*fn)(void*), void* arg) {
  STORE(done, 0);
  body_fn = fn;
  kproc("errors", body, arg);
  KTC_CHECK(ktc_wait(is_done, nil));
}

static char trail[256];
static void mark(const char* s) { strcat(trail, s); }

/* "waserror() ... returns 0; when control comes back through it because of
 * an error it returns non-zero", with the label popped. */
static int depth_before, depth_in, depth_after, first;
static void returns_twice(void* arg) {
  (void)arg;
  volatile int times = 0;
  depth_before = up->nerrlab;
  if (waserror()) {
    times = times + 1;
    depth_after = up->nerrlab;
    strcpy(trail, up->errstr);
    return;
  }
  times = times + 1;
  first = times;
  depth_in = up->nerrlab;
  error("boom");
}
static void waserror_returns_0_then_nonzero(void) {
  trail[0] = '\0';
  in_kproc(returns_twice, nil);
  KTC_CHECK_EQ(first, 1);
  KTC_CHECK_EQ(depth_in, depth_before + 1);
  KTC_CHECK_EQ(depth_after, depth_before);
  KTC_CHECK(strcmp(trail, "boom") == 0);
}

/* error(msg) copies msg into up->errstr, cut to ERRMAX-1 bytes. */
static char longmsg[400];
static size_t errlen;
static void raises_long(void* arg) {
  (void)arg;
  if (waserror()) {
    errlen = strlen(up->errstr);
    return;
  }
  error(longmsg);
}
static void errstr_is_cut_to_errmax(void) {
  memset(longmsg, 'e', sizeof longmsg - 1);
  in_kproc(raises_long, nil);
  KTC_CHECK_EQ(errlen, ERRMAX - 1);
}

/* error unwinds to the innermost waserror; its handler passes the error
 * outward with nexterror, errstr unchanged. */
static void innermost(void) {
  if (waserror()) {
    mark("i");
    nexterror();
  }
  error("boom");
}
static void middle(void) {
  if (waserror()) {
    mark("m");
    nexterror();
  }
  innermost();
  poperror();
}
static void nests(void* arg) {
  (void)arg;
  if (waserror()) {
    mark("o:");
    mark(up->errstr);
    return;
  }
  middle();
  poperror();
}
static void errors_unwind_innermost_first(void) {
  trail[0] = '\0';
  in_kproc(nests, nil);
  KTC_CHECK(strcmp(trail, "imo:boom") == 0);
}

/* poperror() drops a label: a later error goes to the next one out. */
static void pops(void* arg) {
  (void)arg;
  if (waserror()) {
    mark("outer");
    return;
  }
  if (waserror()) {
    mark("inner");
    return;
  }
  poperror();
  error("late");
}
static void poperror_drops_the_label(void) {
  trail[0] = '\0';
  in_kproc(pops, nil);
  KTC_CHECK(strcmp(trail, "outer") == 0);
}

/* error unwinds through frames that pushed no label, and the waserror
 * frame's volatile locals survive. */
static int leaf_calls;
static void leaf(int n) {
  if (n == 0) error("deep");
  leaf_calls++;
  leaf(n - 1);
  leaf_calls = -1000; /* never reached */
}
static volatile int kept;
static void through_frames(void* arg) {
  (void)arg;
  volatile int local = 41;
  if (waserror()) {
    kept = local;
    return;
  }
  local = 42;
  leaf(20);
}
static void error_crosses_plain_c_frames(void) {
  leaf_calls = 0;
  in_kproc(through_frames, nil);
  KTC_CHECK_EQ(leaf_calls, 20);
  KTC_CHECK_EQ(kept, 42);
}

/* "(NERR = 64 slots)": NERR labels may be in use at once. */
static int landed_at;
static void stack_labels(int level) {
  if (waserror()) {
    landed_at = level;
    mark("x");
    if (level > 1) nexterror();
    return;
  }
  if (level < NERR)
    stack_labels(level + 1);
  else
    error("full");
  poperror();
}
static void nerr_labels_fit(void* arg) {
  (void)arg;
  stack_labels(1);
}
static void nerr_labels_can_be_used(void) {
  trail[0] = '\0';
  in_kproc(nerr_labels_fit, nil);
  KTC_CHECK_EQ(landed_at, 1);
  KTC_CHECK_EQ(strlen(trail), NERR);
}

/* waserror/poperror pairs leave the stack as it was, however many. */
static int depth_end;
static void many_pairs(void* arg) {
  (void)arg;
  for (int i = 0; i < 100000; i++) {
    if (waserror()) return;
    if (i % 3 == 0) {
      if (!waserror()) {
        error("caught");
      }
      /* error popped the inner label */
    }
    poperror();
  }
  depth_end = up->nerrlab;
}
static void waserror_poperror_pairs_balance(void) {
  depth_end = -1;
  in_kproc(many_pairs, nil);
  KTC_CHECK_EQ(depth_end, 0);
}

/* error(up->errstr) and nexterror() keep the message. */
static void reraises(void* arg) {
  (void)arg;
  if (waserror()) {
    strcpy(trail, up->errstr);
    return;
  }
  if (waserror()) error(up->errstr);
  error("kept");
}
static void error_of_errstr_keeps_it(void) {
  trail[0] = '\0';
  in_kproc(reraises, nil);
  KTC_CHECK(strcmp(trail, "kept") == 0);
}

/* "locks taken after the matching waserror are not released
 * automatically": each level's recovery releases what it took. */
static QLock lk;
static int freed_after;
static void takes_then_fails(void) {
  qlock(&lk);
  if (waserror()) {
    qunlock(&lk);
    nexterror();
  }
  error("io error");
}
static void releases(void* arg) {
  (void)arg;
  if (waserror()) {
    freed_after = canqlock(&lk);
    if (freed_after) qunlock(&lk);
    return;
  }
  takes_then_fails();
  poperror();
}
static void recovery_releases_what_it_took(void) {
  memset(&lk, 0, sizeof lk);
  in_kproc(releases, nil);
  KTC_CHECK_EQ(freed_after, 1);
}

/* The outermost function of a kproc does not call nexterror: a kproc that
 * can be interrupted loops on its outermost waserror, or ends in pexit. */
static int rounds;
static Proc* looper;
static void loops(void* arg) {
  (void)arg;
  Rendez r;
  memset(&r, 0, sizeof r);
  looper = up;
  while (waserror()) {
    if (__atomic_add_fetch(&rounds, 1, __ATOMIC_ACQ_REL) == 3) pexit("", 1);
  }
  for (;;) sleep(&r, return0, nil);
}
static int rounds_at(void* p) { return LOAD(rounds) >= *(int*)p; }
static int stopped(void* p) {
  (void)p;
  return looper && kt_thread_state(kt_face_owner(looper)) < 0;
}
static void outermost_waserror_loops(void) {
  static int want[] = {1, 2, 3};
  STORE(rounds, 0);
  looper = nil;
  kproc("looper", loops, nil);
  for (int i = 0; i < 3; i++) {
    while (!LOAD(looper) || kt_thread_state(kt_face_owner(LOAD(looper))) != KT_SLEEPING)
      sched_yield();
    postnote(looper, 1, "again", NUser);
    KTC_CHECK(ktc_wait(rounds_at, &want[i]));
  }
  KTC_CHECK(ktc_wait(stopped, nil));
}

/* Each process has its own label stack: kprocs raising errors at once
 * land in their own frames. */
static int landed_ok, finished;
static void raises_often(void* arg) {
  uintptr me = (uintptr)arg;
  for (int i = 0; i < 5000; i++) {
    volatile uintptr mine = me * 100000 + (uintptr)i;
    if (waserror()) {
      if (mine == me * 100000 + (uintptr)i && strcmp(up->errstr, up->text) == 0)
        __atomic_fetch_add(&landed_ok, 1, __ATOMIC_ACQ_REL);
      continue;
    }
    if (i % 2) kt_thread_yield();
    error(up->text);
  }
  __atomic_fetch_add(&finished, 1, __ATOMIC_ACQ_REL);
  pexit("", 1);
}
static int all_finished(void* p) { return LOAD(finished) == *(int*)p; }
static void label_stacks_are_per_process(void) {
  static int n = 4;
  char name[8];
  STORE(landed_ok, 0);
  STORE(finished, 0);
  for (int i = 0; i < n; i++) {
    name[0] = 'e';
    name[1] = (char)('0' + i);
    name[2] = '\0';
    kproc(name, raises_often, (void*)(uintptr)(i + 1));
  }
  KTC_CHECK(ktc_wait(all_finished, &n));
  KTC_CHECK_EQ(LOAD(landed_ok), n * 5000);
}

/* Misuse is fatal (semantics.md 9). */
static void too_deep(void* arg) {
  (void)arg;
  for (int i = 0; i <= NERR; i++)
    if (waserror()) pexit("", 1);
}
static void waserror_overflow_panics(void) { in_kproc(too_deep, nil); }
static void bare_error(void* arg) {
  (void)arg;
  error("nowhere");
}
static void error_without_waserror_panics(void) { in_kproc(bare_error, nil); }
static void bare_nexterror(void* arg) {
  (void)arg;
  nexterror();
}
static void nexterror_without_waserror_panics(void) { in_kproc(bare_nexterror, nil); }
static void bare_poperror(void* arg) {
  (void)arg;
  poperror();
}
static void poperror_without_waserror_panics(void) { in_kproc(bare_poperror, nil); }
static int forgets(void) {
  volatile char pad[512];
  pad[0] = 1;
  if (waserror()) return -1;
  return pad[0]; /* returns without poperror */
}
static void forgot_poperror(void* arg) {
  (void)arg;
  if (waserror()) pexit("", 1);
  forgets();
  error("to a dead frame");
}
static void error_to_a_returned_frame_panics(void) { in_kproc(forgot_poperror, nil); }
static void waserror_on_host_panics(void) {
  if (waserror()) return;
}
static void error_on_host_panics(void) { error("host"); }
static void error_in_foreign_kthread_panics(void) { ktc_in_kthread(bare_error, nil); }

static const struct ktc_case cases[] = {
    {"waserror returns 0 when it pushes, non-zero when an error comes back through it",
     waserror_returns_0_then_nonzero},
    {"error copies its message into up->errstr, cut to ERRMAX-1 bytes", errstr_is_cut_to_errmax},
    {"error unwinds to the innermost waserror; nexterror passes it outward",
     errors_unwind_innermost_first},
    {"poperror drops a label: a later error goes to the next one out", poperror_drops_the_label},
    {"error unwinds through frames without labels; volatile locals survive",
     error_crosses_plain_c_frames},
    {"NERR labels can be in use at once", nerr_labels_can_be_used},
    {"waserror/poperror pairs balance, however many", waserror_poperror_pairs_balance},
    {"error(up->errstr) keeps the message", error_of_errstr_keeps_it},
    {"each level's recovery releases the locks it took, then nexterror",
     recovery_releases_what_it_took},
    {"a kproc's outermost waserror loops or ends in pexit, never nexterror",
     outermost_waserror_loops},
    {"each process has its own label stack", label_stacks_are_per_process, NULL, 2},
    {"more than NERR waserror labels is fatal", waserror_overflow_panics,
     "waserror: error stack overflow"},
    {"error with no waserror is fatal", error_without_waserror_panics,
     "error: no waserror frame (error: nowhere)"},
    {"nexterror with no waserror is fatal", nexterror_without_waserror_panics,
     "nexterror: no waserror frame"},
    {"poperror with no waserror is fatal", poperror_without_waserror_panics,
     "poperror: no waserror frame"},
    {"error to a waserror frame that returned without poperror is fatal",
     error_to_a_returned_frame_panics, "has gone"},
    {"waserror outside a kproc is fatal", waserror_on_host_panics,
     "waserror: called outside a kproc"},
    {"error outside a kproc is fatal", error_on_host_panics, "error: called outside a kproc"},
    {"error in a kernel thread kproc did not make is fatal", error_in_foreign_kthread_panics,
     "error: called outside a kproc"},
};

KTC_MAIN("Plan 9 error(9)", cases)
