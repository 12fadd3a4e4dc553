/*
 * Plan 9 kproc(9) (seed 003): kproc, pexit, postnote - one case per
 * sentence of the page, and the decisions of compat/plan9/portfns.h where
 * the page is cut or silent (semantics.md 6.1-6.3, 9).
 */
#include <errno.h>
#include <kt/c/control.h>
#include <kt/c/face.h>
#include <kt/c/sleep.h>
#include <kt/c/thread.h>
#include <kt/kernel.h>
#include <portdat.h>
#include <portfns.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <u.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static int stage;
static int at_least(void* p) { return LOAD(stage) >= *(int*)p; }
static int one = 1, two = 2, three = 3, four = 4;

/* The kernel thread behind a Proc, 0 once it is gone. */
static uvlong tid_of(Proc* p) { return kt_face_owner(p); }
static int gone(void* p) { return kt_thread_state(*(uvlong*)p) < 0; }
static int broken(void* p) { return kt_thread_state(*(uvlong*)p) == KT_BROKEN; }
static int sleeping(void* p) { return kt_thread_state(*(uvlong*)p) == KT_SLEEPING; }

/* ps(1) output, for the sentences about it. */
static char* ps_text(void) {
  static char* buf;
  size_t len;
  free(buf);
  buf = NULL;
  FILE* f = open_memstream(&buf, &len);
  kt_ps(f);
  fclose(f);
  return buf;
}
static int ps_lines_with(const char* what) {
  int n = 0;
  for (char* s = ps_text(); (s = strstr(s, what)) != NULL; s += strlen(what)) n++;
  return n;
}

/* A kproc that publishes itself and sleeps until a note stops it. */
static Proc* parked;
static void parks(void* arg) {
  (void)arg;
  if (waserror()) pexit("", 1);
  Rendez r;
  memset(&r, 0, sizeof r);
  STORE(parked, up);
  sleep(&r, return0, nil);
}
static Proc* park(char* name) {
  STORE(parked, (Proc*)nil);
  kproc(name, parks, nil);
  while (!LOAD(parked)) sched_yield();
  Proc* p = LOAD(parked);
  uvlong t = tid_of(p);
  KTC_CHECK(ktc_wait(sleeping, &t));
  return p;
}

/* "Kproc creates a new kernel process to run the function func, which is
 * invoked as (*func)(arg)." */
static void* seen_arg;
static Proc* me;
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
  KTC_CHECK(me->pid > 0);
  Proc* first = me;
  ulong pid = me->pid;
  STORE(stage, 0);
  kproc("simple", simple, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(seen_arg == nil);
  KTC_CHECK(me != first || me->pid != pid); /* a process of its own */
}

/* "The string name is copied into the text field of the Proc structure of
 * the new process; this value is the name of the kproc in the output of
 * ps(1)." */
static char textseen[KNAMELEN];
static void names(void* arg) {
  Rendez r;
  (void)arg;
  memset(&r, 0, sizeof r);
  me = up;
  strcpy(textseen, up->text);
  STORE(stage, 1);
  if (waserror()) pexit("", 1);
  sleep(&r, return0, nil);
}
static void name_is_copied_into_text(void) {
  char name[] = "ether0read";
  STORE(stage, 0);
  kproc(name, names, nil);
  strcpy(name, "clobbered");
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(strcmp(textseen, "ether0read") == 0);
  KTC_CHECK(strcmp(me->text, "ether0read") == 0);
  uvlong t = tid_of(me);
  KTC_CHECK(ktc_wait(sleeping, &t));
  char line[64];
  snprintf(line, sizeof line, "%lu ether0read", me->pid);
  KTC_CHECK(strstr(ps_text(), line) != NULL);
  postnote(me, 1, "bye", NUser);
  KTC_CHECK(ktc_wait(gone, &t));
}

/* text holds KNAMELEN-1 bytes (9legacy's text[KNAMELEN]); ps keeps the
 * core's 31. */
static void long_names_are_cut(void) {
  char name[] = "a-kernel-process-with-a-rather-long-name";
  STORE(stage, 0);
  kproc(name, names, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(strlen(me->text), KNAMELEN - 1);
  KTC_CHECK(strncmp(me->text, name, KNAMELEN - 1) == 0);
  char core[64];
  KTC_CHECK_EQ(kt_thread_name(tid_of(me), core, sizeof core), 0);
  KTC_CHECK(strncmp(core, name, KT_MAXCOMLEN) == 0);
  postnote(me, 1, "bye", NUser);
}

/* "The process is created with base and current priorities set to
 * PriKproc." PriKproc is the core's default kernel priority. */
static void priority_is_prikproc(void) {
  Proc* p = park("prio");
  KTC_CHECK_EQ(kt_thread_priority(tid_of(p)), 122 - 2 * PriKproc);
  KTC_CHECK_EQ(kt_thread_priority(tid_of(p)), KT_PRI_KERNEL);
  postnote(p, 1, "bye", NUser);
}

/* "It shares the kernel process group": kprocs meet in one rendezvous
 * space, and each gets the other's value. */
static uintptr got[2];
static int met;
static void meets(void* arg) {
  int i = (int)(uintptr)arg;
  got[i] = rendezvous(77, (uintptr)(100 + i));
  __atomic_fetch_add(&met, 1, __ATOMIC_ACQ_REL);
  pexit("", 1);
}
static int both_met(void* p) {
  (void)p;
  return LOAD(met) == 2;
}
static void kprocs_share_one_rendezvous_space(void) {
  STORE(met, 0);
  kproc("a", meets, (void*)0);
  kproc("b", meets, (void*)1);
  KTC_CHECK(ktc_wait(both_met, nil));
  KTC_CHECK_EQ(got[0], 101);
  KTC_CHECK_EQ(got[1], 100);
}

/* "A kernel process terminates only when it calls pexit, thereby
 * terminating itself." ... "pexit("", 1);" ends it for good. */
static int after_pexit;
static void exits(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
  while (LOAD(stage) < 2) kt_thread_yield();
  pexit("", 1);
  after_pexit = 1;
}
static void pexit_terminates_the_caller(void) {
  STORE(stage, 0);
  after_pexit = 0;
  kproc("exits", exits, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong t = tid_of(me);
  KTC_CHECK(kt_thread_state(t) >= 0);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(gone, &t));
  KTC_CHECK_EQ(after_pexit, 0);
  KTC_CHECK_EQ(ps_lines_with(" exits "), 0);
}

/* "There is no mechanism for one process to force the termination of
 * another, although it can send a software interrupt using postnote": a
 * kproc that is not sleeping carries on; only its next sleep raises. */
static void busy(void* arg) {
  Rendez r;
  (void)arg;
  memset(&r, 0, sizeof r);
  me = up;
  STORE(stage, 1);
  while (LOAD(stage) < 2) kt_thread_yield(); /* the note arrives meanwhile */
  STORE(stage, 3);
  if (waserror()) {
    STORE(stage, 4);
    pexit("", 1);
  }
  sleep(&r, return0, nil);
  STORE(stage, 5);
  pexit("", 1);
}
static void a_note_does_not_terminate(void) {
  STORE(stage, 0);
  kproc("busy", busy, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK_EQ(postnote(me, 1, "kill", NUser), 1);
  uvlong t = tid_of(me);
  KTC_CHECK(kt_thread_state(t) >= 0);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &four));
  KTC_CHECK_EQ(LOAD(stage), 4);
}

/* "If freemem is non-zero, any memory allocated by the process is
 * discarded": pexit(note, 0) instead leaves the process Broken, kept for
 * debugging, shown "broken" by ps. */
static void breaks(void* arg) {
  me = up;
  STORE(stage, 1);
  pexit((char*)arg, 0);
}
static void pexit_freemem_0_leaves_it_broken(void) {
  STORE(stage, 0);
  kproc("breaker", breaks, (void*)"died");
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong t = tid_of(me);
  KTC_CHECK(ktc_wait(broken, &t));
  KTC_CHECK(strcmp(me->text, "breaker") == 0); /* its memory is preserved */
  KTC_CHECK_EQ(ps_lines_with("broken"), 1);
  KTC_CHECK_EQ(postnote(me, 1, "late", NUser), 0); /* 9front: not to a Broken one */
}

/* At most 4 Broken processes are kept: a fifth lets the oldest die. */
static void only_four_broken_are_kept(void) {
  uvlong t[5];
  for (int i = 0; i < 5; i++) {
    STORE(stage, 0);
    kproc("breaker", breaks, (void*)"died");
    KTC_CHECK(ktc_wait(at_least, &one));
    t[i] = tid_of(me);
    KTC_CHECK(t[i] != 0);
    if (t[i]) KTC_CHECK(ktc_wait(broken, &t[i]));
  }
  KTC_CHECK(ktc_wait(gone, &t[0]));
  for (int i = 1; i < 5; i++) KTC_CHECK_EQ(kt_thread_state(t[i]), KT_BROKEN);
  KTC_CHECK_EQ(ps_lines_with("broken"), KT_NBROKEN);
}

/* A kproc whose func returns ends as 9front's pexit("kproc exiting", 0). */
static void returns(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
}
static void returning_kproc_ends_broken(void) {
  STORE(stage, 0);
  kproc("returner", returns, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong t = tid_of(me);
  KTC_CHECK(ktc_wait(broken, &t));
}

/* "Postnote sends a software interrupt to process p, causing it, if
 * necessary, to wake from sleep(9) ... with an error(9) 'interrupted'."
 * The page's example: a process reading packets from a queue, stopped with
 * postnote(readp, 1, "unbind", 0) when the interface is unbound. */
static Proc* readp;
static Rendez pktr;
static QLock pktl;
static int npkts; /* guarded by pktl */
static int consumed;
static char lasterr[ERRMAX];
static int havepkt(void* a) {
  (void)a;
  return npkts > 0;
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
    if (npkts == 0) {
      qunlock(&pktl);
      sleep(&pktr, havepkt, nil);
      continue;
    }
    npkts--;
    qunlock(&pktl);
    __atomic_fetch_add(&consumed, 1, __ATOMIC_ACQ_REL);
  }
}
static void feed(void* arg) { /* the driver's interrupt side */
  (void)arg;
  for (int i = 0; i < 50; i++) {
    qlock(&pktl);
    npkts++;
    qunlock(&pktl);
    wakeup(&pktr);
    if (i % 7 == 0) kt_thread_yield();
  }
}
static int consumed_all(void* p) { return LOAD(consumed) == *(int*)p; }
static void postnote_unbind_stops_a_reader(void) {
  static int fifty = 50;
  STORE(stage, 0);
  STORE(consumed, 0);
  npkts = 0;
  memset(&pktr, 0, sizeof pktr);
  kproc("ether0read", reader, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  ktc_in_kthread(feed, nil);
  KTC_CHECK(ktc_wait(consumed_all, &fifty));
  uvlong t = tid_of(readp);
  KTC_CHECK(ktc_wait(sleeping, &t));
  KTC_CHECK_EQ(postnote(readp, 1, "unbind", 0), 1);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK(strcmp(lasterr, "interrupted") == 0);
  KTC_CHECK(strcmp(lasterr, Eintr) == 0);
  KTC_CHECK(ktc_wait(gone, &t));
}

/* "... or break out of a rendezvous(2) ...": the waiter gets all ones. */
static uintptr rv;
static void waits_in_rendezvous(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
  rv = rendezvous(0x9, 1);
  STORE(stage, 2);
  pexit("", 1);
}
static int in_rendezvous(void* p) {
  (void)p;
  uvlong t = tid_of(me);
  return t && kt_thread_state(t) == KT_SLEEPING;
}
static void postnote_breaks_a_rendezvous(void) {
  STORE(stage, 0);
  kproc("rv", waits_in_rendezvous, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  KTC_CHECK(ktc_wait(in_rendezvous, nil));
  KTC_CHECK_EQ(postnote(me, 1, "stop", NUser), 1);
  KTC_CHECK(ktc_wait(at_least, &two));
  KTC_CHECK(rv == ~(uintptr)0);
}

/* "... or an eqlock(9), with an error(9) 'interrupted'." */
static QLock held;
static void holds(void* arg) {
  (void)arg;
  qlock(&held);
  STORE(stage, 1);
  while (LOAD(stage) < 3) kt_thread_yield();
  qunlock(&held);
  pexit("", 1);
}
static void waits_in_eqlock(void* arg) {
  (void)arg;
  me = up;
  if (waserror()) {
    strcpy(lasterr, up->errstr);
    STORE(stage, 3);
    pexit("", 1);
  }
  eqlock(&held);
  STORE(stage, 4);
  pexit("", 1);
}
static void postnote_breaks_an_eqlock(void) {
  STORE(stage, 0);
  memset(&held, 0, sizeof held);
  lasterr[0] = '\0';
  kproc("holder", holds, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  me = nil;
  kproc("eqwaiter", waits_in_eqlock, nil);
  KTC_CHECK(ktc_wait(in_rendezvous, nil)); /* queued on the lock */
  KTC_CHECK_EQ(postnote(me, 1, "stop", NUser), 1);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK(strcmp(lasterr, "interrupted") == 0);
}

/* "Up to NNOTE notes can be pending at once (currently 5) ... Postnote
 * returns non-zero iff the note has been delivered successfully." */
static void spins(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
  while (LOAD(stage) < 2) kt_thread_yield();
  STORE(stage, 3);
  pexit("", 1);
}
static Proc* spinner(char* name) {
  STORE(stage, 0);
  kproc(name, spins, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  return me;
}
static void at_most_nnote_are_kept(void) {
  Proc* p = spinner("noted");
  KTC_CHECK_EQ(NNOTE, 5);
  /* kprocs never consume notes: they pile up */
  int delivered = 0;
  for (int i = 0; i < NNOTE + 3; i++) delivered += postnote(p, 1, "note", NUser);
  KTC_CHECK_EQ(delivered, NNOTE);
  KTC_CHECK_EQ(kt_note_count(tid_of(p)), NNOTE);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &three));
}

/* "... if more than that arrive, the process is forced out of sleep,
 * rendezvous and eqlock, but the message itself is discarded." */
static void fills_its_queue(void* arg) {
  Rendez r;
  (void)arg;
  memset(&r, 0, sizeof r);
  me = up;
  for (int i = 0; i < NNOTE; i++) postnote(up, 0, "fill", NUser);
  /* the notes so far interrupted nothing yet: swallow that interruption */
  if (!waserror()) {
    sleep(&r, return0, nil);
    poperror();
  }
  if (waserror()) {
    STORE(stage, 3);
    pexit("", 1);
  }
  STORE(stage, 1);
  sleep(&r, return0, nil); /* only the dropped note can end this */
  STORE(stage, 4);
  pexit("", 1);
}
static void full_queue_still_interrupts(void) {
  STORE(stage, 0);
  kproc("full", fills_its_queue, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong t = tid_of(me);
  KTC_CHECK(ktc_wait(sleeping, &t));
  KTC_CHECK_EQ(kt_note_count(t), NNOTE);
  KTC_CHECK_EQ(postnote(me, 1, "dropped", NUser), 0);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK_EQ(LOAD(stage), 3);
}

/* "If dolock is non-zero, postnote synchronises delivery of the note with
 * the debugger": there is none, so dolock 0 and 1 deliver alike. */
static void dolock_is_accepted(void) {
  Proc* p = spinner("dolock");
  KTC_CHECK_EQ(postnote(p, 0, "a", NUser), 1);
  KTC_CHECK_EQ(postnote(p, 1, "b", NUser), 1);
  KTC_CHECK_EQ(kt_note_count(tid_of(p)), 2);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &three));
}

/* NDebug: "Print the note message on the user's standard error.
 * Furthermore, suspend the process in a Broken state, preserving its
 * memory, for later debugging." A kproc dying of such a note prints on the
 * kernel console and ends Broken, whatever freemem it gives pexit. */
static void debuggee(void* arg) {
  Rendez r;
  (void)arg;
  memset(&r, 0, sizeof r);
  me = up;
  STORE(stage, 1);
  if (waserror()) pexit(up->errstr, 1); /* the page's pattern */
  sleep(&r, return0, nil);
}
static void ndebug_prints_and_leaves_it_broken(void) {
  STORE(stage, 0);
  kproc("debuggee", debuggee, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong t = tid_of(me);
  KTC_CHECK(ktc_wait(sleeping, &t));
  KTC_CHECK_EQ(postnote(me, 1, "sys: trap: fault read", NDebug), 1);
  KTC_CHECK(ktc_wait(broken, &t));
  char line[96];
  snprintf(line, sizeof line, "debuggee %lu: suicide: sys: trap: fault read\n", me->pid);
  KTC_CHECK(strstr(ktc_console(), line) != NULL);
  KTC_CHECK_EQ(ps_lines_with("broken"), 1);
}

/* NExit: "Deliver the note quietly." A system note (any flag but NUser)
 * replaces whatever was pending, and nothing is printed. */
static void nexit_flushes_the_queue_quietly(void) {
  Proc* p = spinner("quiet");
  uvlong t = tid_of(p);
  for (int i = 0; i < NNOTE; i++) postnote(p, 1, "user", NUser);
  KTC_CHECK_EQ(postnote(p, 1, "user", NUser), 0);
  KTC_CHECK_EQ(postnote(p, 1, "sys: exit", NExit), 1);
  KTC_CHECK_EQ(kt_note_count(t), 1);
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(gone, &t));
  KTC_CHECK(strstr(ktc_console(), "sys: exit") == NULL);
}

/* NUser: "The note comes from another process, not the system": user notes
 * queue behind one another, in order. */
static char taken[3][ERRMAX];
static void takes_notes(void* arg) {
  (void)arg;
  me = up;
  STORE(stage, 1);
  while (LOAD(stage) < 2) kt_thread_yield();
  int flag;
  for (int i = 0; i < 3; i++) kt_note_take(taken[i], &flag);
  STORE(stage, 3);
  pexit("", 1);
}
static void user_notes_queue_in_order(void) {
  STORE(stage, 0);
  kproc("taker", takes_notes, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  postnote(me, 1, "first", NUser);
  postnote(me, 1, "second", NUser);
  char big[300];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  KTC_CHECK_EQ(postnote(me, 1, big, NUser), 1); /* "The text ... is typically irrelevant" */
  STORE(stage, 2);
  KTC_CHECK(ktc_wait(at_least, &three));
  KTC_CHECK(strcmp(taken[0], "first") == 0);
  KTC_CHECK(strcmp(taken[1], "second") == 0);
  KTC_CHECK_EQ(strlen(taken[2]), ERRMAX - 1); /* cut to ERRMAX-1 bytes */
}

/* postnote to nil, to a process that is gone, or to something that is not
 * a kproc returns 0 and interrupts nothing. */
static int native_rc = -1;
static void native_sleeps(void* arg) {
  native_rc = kt_sleep(arg, "native", KT_SLEEP_INTR, 300000000); /* 0.3 s */
}
static void postnote_to_nil_or_gone_or_foreign(void) {
  Proc fake;
  memset(&fake, 0, sizeof fake);
  KTC_CHECK_EQ(postnote(nil, 1, "x", NUser), 0);
  KTC_CHECK_EQ(postnote(&fake, 1, "x", NUser), 0);
  STORE(stage, 0);
  kproc("brief", simple, nil);
  KTC_CHECK(ktc_wait(at_least, &one));
  uvlong t = tid_of(me);
  if (t) KTC_CHECK(ktc_wait(gone, &t));
  KTC_CHECK_EQ(postnote(me, 1, "late", NUser), 0);
  /* a kernel thread kproc did not make: its face area is no Proc */
  struct kt_thread_attr a;
  memset(&a, 0, sizeof a);
  a.name = "native";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  kt_tid_t n = 0;
  KTC_CHECK_EQ(kt_thread_create(&a, native_sleeps, &native_rc, &n), 0);
  KTC_CHECK(ktc_wait(sleeping, &n));
  KTC_CHECK_EQ(postnote((Proc*)kt_face_area(n), 1, "x", NUser), 0);
  KTC_CHECK_EQ(kt_thread_join(n, NULL), 0);
  KTC_CHECK_EQ(native_rc, EWOULDBLOCK); /* timed out: not interrupted */
}

/* up is the current Proc: nil on a host thread and in a kernel thread that
 * kproc did not make. */
static Proc* up_seen = (Proc*)1;
static void reads_up(void* arg) {
  (void)arg;
  up_seen = up;
}
static void up_is_nil_outside_kprocs(void) {
  KTC_CHECK(up == nil);
  ktc_in_kthread(reads_up, nil);
  KTC_CHECK(up_seen == nil);
}

/* 9front's kproc never fails: with every slot taken it waits for one. */
static int created;
static void* creates(void* arg) {
  (void)arg;
  kproc("late", simple, nil);
  STORE(created, 1);
  return NULL;
}
static void kproc_waits_for_a_free_slot(void) {
  ktc_reboot(2, 3);
  Proc* p[3];
  for (int i = 0; i < 3; i++) p[i] = park("slot");
  STORE(created, 0);
  STORE(stage, 0);
  pthread_t h;
  KTC_CHECK_EQ(pthread_create(&h, NULL, creates, NULL), 0);
  struct timespec ms50 = {0, 50000000};
  nanosleep(&ms50, NULL);
  KTC_CHECK_EQ(LOAD(created), 0); /* still waiting */
  KTC_CHECK_EQ(LOAD(stage), 0);
  postnote(p[0], 1, "make room", NUser);
  KTC_CHECK(ktc_wait(at_least, &one)); /* "late" ran */
  pthread_join(h, NULL);
  KTC_CHECK_EQ(LOAD(created), 1);
}

static void kproc_nil_func_panics(void) { kproc("x", nil, nil); }
static void kproc_nil_name_panics(void) { kproc(nil, simple, nil); }
static void pexit_from_host_panics(void) { pexit("", 1); }
static void pexits(void* arg) {
  (void)arg;
  pexit("", 1);
}
static void pexit_from_foreign_kthread_panics(void) { ktc_in_kthread(pexits, nil); }

static const struct ktc_case cases[] = {
    {"kproc creates a new kernel process that runs (*func)(arg)", kproc_runs_func_with_arg},
    {"the name is copied into text, and is the kproc's name in ps", name_is_copied_into_text},
    {"text keeps KNAMELEN-1 bytes of a long name; ps the core's 31", long_names_are_cut},
    {"the process runs at PriKproc", priority_is_prikproc},
    {"it shares the kernel process group: kprocs meet in one rendezvous space",
     kprocs_share_one_rendezvous_space},
    {"a kernel process terminates only when it calls pexit: pexit(\"\", 1) ends it",
     pexit_terminates_the_caller},
    {"no process can force another's termination: a note only interrupts",
     a_note_does_not_terminate},
    {"pexit with freemem 0 leaves the process Broken, its memory kept",
     pexit_freemem_0_leaves_it_broken},
    {"at most 4 Broken processes are kept: a fifth releases the oldest", only_four_broken_are_kept},
    {"a kproc whose func returns ends as pexit(\"kproc exiting\", 0): Broken",
     returning_kproc_ends_broken},
    {"postnote(readp, 1, \"unbind\", 0) wakes a packet reader from sleep with error "
     "'interrupted'",
     postnote_unbind_stops_a_reader},
    {"postnote breaks the process out of a rendezvous (all ones)", postnote_breaks_a_rendezvous},
    {"postnote breaks the process out of an eqlock with error 'interrupted'",
     postnote_breaks_an_eqlock},
    {"up to NNOTE (5) notes can be pending; postnote returns non-zero iff delivered",
     at_most_nnote_are_kept},
    {"past NNOTE the process is forced out of sleep all the same, the message discarded",
     full_queue_still_interrupts},
    {"dolock is accepted: there is no debugger to synchronise with", dolock_is_accepted},
    {"NDebug: the message is printed and the process suspended Broken",
     ndebug_prints_and_leaves_it_broken},
    {"NExit: delivered quietly, replacing the notes pending", nexit_flushes_the_queue_quietly},
    {"NUser notes from other processes queue in order; text is cut to ERRMAX-1",
     user_notes_queue_in_order},
    {"postnote to nil, to a process that is gone, or to a non-kproc returns 0",
     postnote_to_nil_or_gone_or_foreign},
    {"up is nil outside a kproc", up_is_nil_outside_kprocs},
    {"with every slot taken kproc waits for one rather than fail", kproc_waits_for_a_free_slot},
    {"kproc with a nil func is fatal", kproc_nil_func_panics, "kproc: nil func"},
    {"kproc with a nil name is fatal", kproc_nil_name_panics, "kproc: nil name"},
    {"pexit from a host thread is fatal", pexit_from_host_panics, "pexit: called outside a kproc"},
    {"pexit from a kernel thread kproc did not make is fatal", pexit_from_foreign_kthread_panics,
     "pexit: called outside a kproc"},
};

KTC_MAIN("Plan 9 kproc(9)", cases)
