/*
 * Plan 9 kproc(9) (seed 003): kproc, pexit, postnote, with error(9)'s
 * waserror/poperror/error/nexterror as kprocs use them.
 */
#include <kt/c/control.h>
#include <kt/c/thread.h>
#include <portdat.h>
#include <portfns.h>
#include <sched.h>
#include <string.h>
#include <u.h>

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

static char seen_text[256];
static void simple_text(void* arg) {
  seen_arg = arg;
  me = up;
  strncpy(seen_text, up->text, sizeof seen_text - 1);
  STORE(stage, 1);
  pexit("", 1);
}
static void kproc_runs_func_with_arg(void) {
  int x;
  STORE(stage, 0);
  kproc("simple", simple_text, &x);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(seen_arg == &x);
  KTC_CHECK(me != nil);
  KTC_CHECK(strcmp(seen_text, "simple") == 0);
  KTC_CHECK(me->pid > 0);
}

/* The parked kproc goes before the next case parks one on the same Rendez:
 * a kproc left asleep at shutdown would keep it for the next kernel. */
static int parked_gone(void* p) { return kt_thread_state(*(uvlong*)p) < 0; }
static void unpark(void) {
  uvlong t = me->kt;
  postnote(me, 1, "bye", NUser);
  KTC_CHECK(ktc_wait(parked_gone, &t));
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
  unpark();
}

/* "The string name is copied into the text field": whole, however long
 * (Plan 9 has no limit; the kernel's ps name keeps KT_MAXCOMLEN of it). */
static void text_is_the_whole_name(void) {
  static char name[201];
  char shown[64];
  memset(name, 'n', 200);
  name[200] = '\0';
  STORE(stage, 0);
  kproc(name, parks, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(me->text != nil && strcmp(me->text, name) == 0);
  name[0] = 'x'; /* a copy: the caller's buffer may change */
  KTC_CHECK_EQ(me->text[0], 'n');
  KTC_CHECK_EQ(kt_thread_name(me->kt, shown, sizeof shown), 0);
  KTC_CHECK(strncmp(shown, name + 1, 30) == 0 && strlen(shown) == 31);
  unpark();
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
static int at_least_flag(void* p) { return LOAD(*(int*)p) != 0; }
static int kthread_asleep(void* p) { return kt_thread_state(*(kt_tid_t*)p) == KT_SLEEPING; }
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

/* "there is no mechanism for one process to force the termination of
 * another": up is nil in a kernel thread kproc did not make. */
static Proc* ktc_up = (Proc*)1;
static void reads_up(void* arg) {
  (void)arg;
  ktc_up = up;
}
static void up_is_nil_outside_kprocs(void) {
  KTC_CHECK(up == nil);
  ktc_in_kthread(reads_up, nil);
  KTC_CHECK(ktc_up == nil);
}

/* error(9): the message is kept in errstr, at most ERRMAX-1 bytes. */
static char long_err[300];
static void raises_long(void* arg) {
  (void)arg;
  me = up;
  if (waserror()) {
    strcpy(lasterr, up->errstr);
    STORE(stage, 1);
    pexit("", 1);
  }
  error(long_err);
}
static void errstr_is_cut_at_errmax(void) {
  memset(long_err, 'e', sizeof long_err - 1);
  STORE(stage, 0);
  kproc("longerr", raises_long, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(strlen(lasterr), ERRMAX - 1);
}

/* A note is at most ERRMAX-1 bytes: longer text is cut, not refused. */
static int taken_len = -1;
static void takes_a_note(void* arg) {
  char buf[ERRMAX + 1];
  int flag = -1;
  (void)arg;
  me = up;
  STORE(stage, 1);
  while (LOAD(stage) < 2) sched_yield();
  STORE(taken_len, kt_note_take(buf, &flag) > 0 ? (int)strlen(buf) : -2);
  STORE(stage, 3);
  pexit("", 1);
}
static void a_long_note_is_cut_to_errmax(void) {
  char text[3 * ERRMAX];
  memset(text, 'n', sizeof text - 1);
  text[sizeof text - 1] = '\0';
  STORE(stage, 0);
  STORE(taken_len, -1);
  kproc("taker", takes_a_note, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(postnote(me, 1, text, NUser), 1);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK_EQ(LOAD(taken_len), ERRMAX - 1);
}

/* semantics.md 6.3: "a system note replaces whatever was pending" (any flag
 * other than NUser flushes the queue, which a kproc never empties). */
static void system_note_flushes_the_queue(void) {
  STORE(stage, 0);
  kproc("noted", noted, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  for (int i = 0; i < NNOTE; i++) KTC_CHECK_EQ(postnote(me, 1, "user", NUser), 1);
  KTC_CHECK_EQ(postnote(me, 1, "user", NUser), 0); /* full */
  KTC_CHECK_EQ(postnote(me, 1, "sys: quiet", NExit), 1);
  KTC_CHECK_EQ(kt_note_count(me->kt), 1);
  KTC_CHECK_EQ(postnote(me, 1, "sys: other", 7), 1); /* an unknown flag is a system note */
  KTC_CHECK_EQ(kt_note_count(me->kt), 1);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &three));
}

/* pexit(..., 0): Broken; at most 4 are kept, a fifth readies the oldest. */
static int nbroken_done;
static Proc* broken_procs[5];
static void breaks(void* arg) {
  broken_procs[(long)arg] = up;
  __atomic_fetch_add(&nbroken_done, 1, __ATOMIC_ACQ_REL);
  pexit("", 0);
}
static int broken_p(void* p) { return kt_thread_state(*(uvlong*)p) == KT_BROKEN; }
static void at_most_four_broken(void) {
  uvlong kt[5];
  for (long i = 0; i < 5; i++) {
    kproc("breaker", breaks, (void*)i);
    while (LOAD(nbroken_done) <= i) sched_yield();
    kt[i] = broken_procs[i]->kt;
    KTC_CHECK(ktc_wait(i < 4 ? broken_p : gone, i < 4 ? &kt[i] : &kt[0]));
  }
  KTC_CHECK(ktc_wait(broken_p, &kt[4]));
  KTC_CHECK(ktc_wait(gone, &kt[0])); /* the oldest went on dying */
  for (int i = 1; i < 5; i++) KTC_CHECK(ktc_wait(broken_p, &kt[i]));
  /* 9front: a Broken process gets no note */
  KTC_CHECK_EQ(postnote(broken_procs[1], 1, "x", NUser), 0);
}

/* 9front kproc: "if no slot is free it waits until one frees up". */
static int fillers_go;
static Rendez filler_r[2]; /* one sleeper per Rendez */
static void filler(void* arg) {
  while (!LOAD(fillers_go)) tsleep(&filler_r[(long)arg], return0, nil, 1);
  pexit("", 1);
}
static int late_ran;
static void late(void* arg) {
  (void)arg;
  STORE(late_ran, 1);
  pexit("", 1);
}
static int creator_done;
static void creates_when_full(void* arg) {
  (void)arg;
  kproc("late", late, nil);
  STORE(creator_done, 1);
}
static void full_table_blocks_kproc_until_a_slot_frees(void) {
  struct kt_thread_attr a;
  kt_tid_t creator = 0;
  ktc_reboot(2, 3);
  STORE(fillers_go, 0);
  STORE(late_ran, 0);
  STORE(creator_done, 0);
  kproc("filler", filler, (void*)0);
  kproc("filler", filler, (void*)1);
  memset(&a, 0, sizeof a);
  a.name = "creator";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  KTC_CHECK_EQ(kt_thread_create(&a, creates_when_full, nil, &creator), 0); /* the third slot */
  KTC_CHECK(ktc_wait(kthread_asleep, &creator));                           /* waiting for a slot */
  KTC_CHECK_EQ(LOAD(creator_done), 0);
  STORE(fillers_go, 1);
  KTC_CHECK(ktc_wait(at_least_flag, &creator_done));
  KTC_CHECK(ktc_wait(at_least_flag, &late_ran));
  KTC_CHECK_EQ(kt_thread_join(creator, NULL), 0);
}

static void poperror_without_waserror(void* arg) {
  (void)arg;
  poperror();
}
static void poperror_underflow_panics(void) {
  kproc("underflow", poperror_without_waserror, nil);
  for (;;) sched_yield();
}
static void kproc_nil_name_panics(void) { kproc(nil, simple, nil); }
static void kproc_before_boot_panics(void) {
  ktc_shutdown();
  kproc("early", simple, nil);
}
static void sleeps_in_a_kthread(void* arg) {
  (void)arg;
  sleep(&never, return0, nil);
}
static void sleep_outside_a_kproc_panics(void) { ktc_in_kthread(sleeps_in_a_kthread, nil); }

/* KSTACK (16 KiB) is the kproc's stack: most of it can be used. */
static int deep(int n) {
  volatile char pad[1024];
  pad[0] = (char)n;
  return n == 0 ? pad[0] : deep(n - 1) + pad[0];
}
static void uses_12k(void* arg) {
  (void)arg;
  deep(12);
  STORE(stage, 1);
  pexit("", 1);
}
static void stack_is_kstack(void) {
  STORE(stage, 0);
  KTC_CHECK_EQ(KSTACK, 16 * 1024);
  kproc("deep", uses_12k, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
}

static const struct ktc_case cases[] = {
    {"a note longer than ERRMAX-1 bytes is cut to that", a_long_note_is_cut_to_errmax},
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
    {"more than NERR waserror frames is fatal", waserror_overflow_panics, "error stack overflow"},
    {"error with no waserror frame is fatal", error_without_waserror_panics, "no waserror frame"},
    {"kproc with a nil func is fatal", kproc_nil_func_panics, "kproc: nil func"},
    {"pexit outside a kproc is fatal", pexit_from_host_panics, "not a kproc"},
    {"the name is copied into text whole, however long", text_is_the_whole_name},
    {"up is nil outside a kproc", up_is_nil_outside_kprocs},
    {"error's message is kept in errstr, cut at ERRMAX-1 bytes", errstr_is_cut_at_errmax},
    {"a note with a flag other than NUser empties the queue first", system_note_flushes_the_queue},
    {"at most NBROKEN (4) Broken processes are kept; a Broken one gets no note",
     at_most_four_broken},
    {"with no free slot kproc waits until one frees up",
     full_table_blocks_kproc_until_a_slot_frees},
    {"poperror with no waserror frame is fatal", poperror_underflow_panics, "no waserror frame"},
    {"kproc with a nil name is fatal", kproc_nil_name_panics, "kproc: nil name"},
    {"kproc before boot is fatal", kproc_before_boot_panics, "kproc: called before kt_boot"},
    {"sleep in a kernel thread that is no kproc is fatal", sleep_outside_a_kproc_panics,
     "sleep: called outside a kproc"},
    {"a kproc's stack is KSTACK", stack_is_kstack},
};

KTC_MAIN("Plan 9 kproc(9)", cases)
