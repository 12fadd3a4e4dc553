/*
 * FreeBSD kthread(9), 5.x-7.x (seed 000): kthread_create, kthread_exit,
 * kthread_suspend, kthread_resume, kthread_suspend_check, kproc_start,
 * kproc_shutdown. Each case names the sentence of the page (or of
 * semantics.md for what the page leaves out) that it checks.
 */
#include <kt/c/control.h>
#include <kt/c/thread.h>
#include <sched.h>
#include <string.h>
#include <sys/kernel.h>
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>
#include <time.h>

#include "ktc.h"

/* Flags shared between kernel threads and the host thread. */
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static int ran; /* set by kernel threads, polled by the host */
static void* ran_arg;
static struct proc* seen_self;

static void record(void* arg) {
  ran_arg = arg;
  seen_self = curproc;
  __atomic_store_n(&ran, 1, __ATOMIC_RELEASE);
  kthread_exit(0);
}

static int has_run(void* p) {
  (void)p;
  return __atomic_load_n(&ran, __ATOMIC_ACQUIRE);
}

static void creates_and_runs(void) {
  struct proc* p = NULL;
  int x;
  __atomic_store_n(&ran, 0, __ATOMIC_RELEASE);
  KTC_CHECK_EQ(kthread_create(record, &x, &p, 0, 0, "worker%d", 7), 0);
  KTC_CHECK(p != NULL);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK(ran_arg == &x);
  KTC_CHECK(seen_self == p);
  KTC_CHECK(strcmp(p->p_comm, "worker7") == 0);
  KTC_CHECK(p->p_pid > 0);
  KTC_CHECK(p->p_flag & P_KTHREAD);
}

/* "The newpp pointer ... updated to point to the newly created process"
 * before the thread runs: the thread can use the global from its first
 * instruction (kproc_start/bufdaemon rely on it). */
static struct proc* global_p;
static struct proc* global_seen;
static void reads_global(void* arg) {
  (void)arg;
  global_seen = global_p;
  __atomic_store_n(&ran, 1, __ATOMIC_RELEASE);
  kthread_exit(0);
}
static void publishes_before_running(void) {
  for (int i = 0; i < 200; i++) {
    __atomic_store_n(&ran, 0, __ATOMIC_RELEASE);
    global_p = NULL;
    KTC_CHECK_EQ(kthread_create(reads_global, NULL, &global_p, 0, 0, "pub"), 0);
    KTC_CHECK(ktc_wait(has_run, NULL));
    KTC_CHECK(global_seen == global_p && global_p != NULL);
  }
}

static void name_is_formatted_and_truncated(void) {
  struct proc* p = NULL;
  __atomic_store_n(&ran, 0, __ATOMIC_RELEASE);
  KTC_CHECK_EQ(kthread_create(record, NULL, &p, 0, 0, "%s-%d-%s", "averyveryverylong", 42, "name"),
               0);
  KTC_CHECK_EQ(strlen(p->p_comm), MAXCOMLEN);
  KTC_CHECK(strncmp(p->p_comm, "averyveryverylong-4", MAXCOMLEN) == 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

static void null_newpp_is_ignored(void) {
  __atomic_store_n(&ran, 0, __ATOMIC_RELEASE);
  KTC_CHECK_EQ(kthread_create(record, NULL, NULL, 0, 0, "nonewpp"), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

static void rfcfdg_is_einval(void) {
  struct proc* p = NULL;
  KTC_CHECK_EQ(kthread_create(record, NULL, &p, RFCFDG, 0, "cfdg"), EINVAL);
  KTC_CHECK(p == NULL);
}

static void bad_input_is_einval(void) {
  struct proc* p = NULL;
  KTC_CHECK_EQ(kthread_create(NULL, NULL, &p, 0, 0, "nofunc"), EINVAL);
  KTC_CHECK_EQ(kthread_create(record, NULL, &p, 0, 0, NULL), EINVAL);
  KTC_CHECK_EQ(kthread_create(record, NULL, &p, 1 << 20, 0, "badflag"), EINVAL);
  KTC_CHECK(p == NULL);
}

static void known_flags_are_accepted(void) {
  __atomic_store_n(&ran, 0, __ATOMIC_RELEASE);
  KTC_CHECK_EQ(kthread_create(record, NULL, NULL,
                              RFNAMEG | RFENVG | RFNOTEG | RFHIGHPID | RFTHREAD | RFSIGSHARE |
                                  RFNOWAIT | RFMEM,
                              0, "flags"),
               0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

static void spin_until_released(void* arg) {
  while (!__atomic_load_n((int*)arg, __ATOMIC_ACQUIRE)) tsleep(arg, 0, "hold", 1);
  kthread_exit(0);
}

/* "The system-imposed limit on the total number of processes ... would be
 * exceeded": EAGAIN, and nothing is created. */
static void maxproc_is_eagain(void) {
  static int release;
  struct proc* p = NULL;
  ktc_reboot(2, 4);
  kthread_eagain_delay_ms = 0;
  STORE(release, 0);
  for (int i = 0; i < 4; i++)
    KTC_CHECK_EQ(kthread_create(spin_until_released, &release, NULL, 0, 0, "fill%d", i), 0);
  KTC_CHECK_EQ(kthread_create(record, NULL, &p, 0, 0, "extra"), EAGAIN);
  KTC_CHECK_EQ(kthread_create(record, NULL, &p, 0, 0, "extra"), EAGAIN);
  KTC_CHECK(p == NULL);
  /* said once: the message is rate-limited to one a second */
  const char* said = strstr(ktc_console(), "maxproc limit exceeded by uid 0");
  KTC_CHECK(said != NULL && strstr(said + 1, "maxproc limit exceeded") == NULL);
  STORE(release, 1);
  wakeup(&release);
  kthread_eagain_delay_ms = 500;
}

static void rfstopped_waits_for_kthread_run(void) {
  struct proc* p = NULL;
  __atomic_store_n(&ran, 0, __ATOMIC_RELEASE);
  KTC_CHECK_EQ(kthread_create(record, NULL, &p, RFSTOPPED, 0, "stopped"), 0);
  for (int i = 0; i < 1000; i++) sched_yield();
  KTC_CHECK_EQ(__atomic_load_n(&ran, __ATOMIC_ACQUIRE), 0);
  KTC_CHECK_EQ(kthread_run(p), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

static void quiet(void* arg) {
  (void)arg;
  kthread_exit(0);
}

/* semantics.md 10.13: kthread_create takes no priority; threads run at the
 * kernel's default (RFSTOPPED keeps this one still while we look). */
static void priority_is_the_kernels(void) {
  struct proc* p = NULL;
  KTC_CHECK_EQ(kthread_create(quiet, NULL, &p, RFSTOPPED, 0, "prio"), 0);
  KTC_CHECK_EQ(kt_thread_priority(p->p_kt), KT_PRI_KERNEL);
  KTC_CHECK_EQ(kthread_run(p), 0);
}

static void pages_are_bounded(void) {
  struct proc *p0 = NULL, *p1 = NULL, *p8 = NULL, *pbig = NULL;
  __atomic_store_n(&ran, 0, __ATOMIC_RELEASE);
  kthread_create(quiet, NULL, &p0, RFSTOPPED, 0, "p0");
  kthread_create(quiet, NULL, &p1, RFSTOPPED, 1, "p1");
  kthread_create(quiet, NULL, &p8, RFSTOPPED, 8, "p8");
  kthread_create(quiet, NULL, &pbig, RFSTOPPED, 1000, "pbig");
  KTC_CHECK_EQ(p0->p_kstack_pages, KSTACK_PAGES);
  KTC_CHECK_EQ(p1->p_kstack_pages, KSTACK_PAGES);
  KTC_CHECK_EQ(p8->p_kstack_pages, 8);
  KTC_CHECK_EQ(pbig->p_kstack_pages, KSTACK_MAX_PAGES);
  kthread_run(p0), kthread_run(p1), kthread_run(p8), kthread_run(pbig);
}

static void returns(void* arg) { (void)arg; }
static int said_premature(void* p) {
  (void)p;
  return strstr(ktc_console(), "exited prematurely") != NULL;
}
static void returning_func_is_tolerated(void) {
  KTC_CHECK_EQ(kthread_create(returns, NULL, NULL, 0, 0, "quitter"), 0);
  KTC_CHECK(ktc_wait(said_premature, NULL));
  KTC_CHECK(strstr(ktc_console(), "Kernel thread \"quitter\" (pid ") != NULL);
}

/* "While exiting, the function exit1(9) will initiate a call to wakeup(9)
 * on the thread handle." */
static struct proc* exiter;
static int go_exit;
static int waiter_rc = -1;
static void exits_when_told(void* arg) {
  (void)arg;
  /* A tick at a time: tsleep has no interlock, so the host's store and
   * wakeup can fall between the test and the sleep (FreeBSD's too). */
  while (!LOAD(go_exit)) tsleep(&go_exit, 0, "go", 1);
  kthread_exit(0);
}
static void sleeps_on_handle(void* arg) {
  (void)arg;
  /* 10 s only bounds a broken run: the exit's wakeup ends the sleep. */
  STORE(waiter_rc, tsleep(exiter, 0, "wait", 10 * hz));
  kthread_exit(0);
}
static int is_sleeping(void* p) { return kt_thread_state(((struct proc*)p)->p_kt) == KT_SLEEPING; }
static int is_suspended(void* p) {
  return kt_thread_state(((struct proc*)p)->p_kt) == KT_SUSPENDED;
}
static int has_flag(void* p) { return LOAD(*(int*)p); }
static int waiter_done(void* p) {
  (void)p;
  return LOAD(waiter_rc) != -1;
}
static void exit_wakes_the_handle(void) {
  struct proc* waiter = NULL;
  STORE(go_exit, 0);
  STORE(waiter_rc, -1);
  KTC_CHECK_EQ(kthread_create(exits_when_told, NULL, &exiter, 0, 0, "exiter"), 0);
  KTC_CHECK_EQ(kthread_create(sleeps_on_handle, NULL, &waiter, 0, 0, "waiter"), 0);
  KTC_CHECK(ktc_wait(is_sleeping, waiter));
  STORE(go_exit, 1);
  wakeup(&go_exit);
  KTC_CHECK(ktc_wait(waiter_done, NULL));
  KTC_CHECK_EQ(LOAD(waiter_rc), 0); /* woken, not timed out */
}

static void exit_from_host_panics(void) { kthread_exit(0); }

/* suspension */
static long loops; /* read racily by the host: a progress counter */
static long loops_read(void) { return __atomic_load_n(&loops, __ATOMIC_RELAXED); }
static int stop_worker;
static void checker(void* arg) {
  (void)arg;
  while (!LOAD(stop_worker)) {
    __atomic_fetch_add(&loops, 1, __ATOMIC_RELAXED);
    kthread_suspend_check(curproc);
    tsleep(&loops, 0, "tick", 1);
  }
  kthread_exit(0);
}

struct suspend_ctx {
  struct proc* p;
  int rc;
};
static void do_suspend(void* arg) {
  struct suspend_ctx* c = (struct suspend_ctx*)arg;
  c->rc = kthread_suspend(c->p, 5 * hz);
}
static void suspend_acknowledged_and_resumed(void) {
  struct suspend_ctx c = {NULL, -1};
  STORE(stop_worker, 0);
  KTC_CHECK_EQ(kthread_create(checker, NULL, &c.p, 0, 0, "checker"), 0);
  ktc_in_kthread(do_suspend, &c);
  KTC_CHECK_EQ(c.rc, 0);
  KTC_CHECK_EQ(kt_thread_state(c.p->p_kt), KT_SUSPENDED);
  long frozen = loops_read();
  for (int i = 0; i < 1000; i++) sched_yield();
  KTC_CHECK_EQ(loops_read(), frozen);
  KTC_CHECK_EQ(kthread_resume(c.p), 0);
  STORE(stop_worker, 1);
}

static void never_checks(void* arg) {
  while (!__atomic_load_n((int*)arg, __ATOMIC_ACQUIRE)) tsleep(arg, 0, "idle", 1);
  kthread_exit(0);
}

/* semantics.md 3.1 step 4: "With RFHIGHPID the pid is at least 10 and the
 * global 'last pid' cursor is not advanced". */
static void rfhighpid_is_ten_or_more_and_keeps_the_cursor(void) {
  static int stop;
  struct proc *before = NULL, *high = NULL, *high2 = NULL, *after = NULL;
  STORE(stop, 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &before, 0, 0, "before"), 0);
  KTC_CHECK(before->p_pid < 8); /* the precondition: a fresh process's cursor */
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &high, RFHIGHPID, 0, "high"), 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &high2, RFHIGHPID, 0, "high2"), 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &after, 0, 0, "after"), 0);
  KTC_CHECK_EQ(high->p_pid, 10);
  KTC_CHECK_EQ(high2->p_pid, 11);                /* the next unused one */
  KTC_CHECK_EQ(after->p_pid, before->p_pid + 1); /* the cursor did not move */
  STORE(stop, 1);
}

static void do_suspend_short(void* arg) {
  struct suspend_ctx* c = (struct suspend_ctx*)arg;
  c->rc = kthread_suspend(c->p, hz / 50);
}
static void suspend_times_out_with_ewouldblock(void) {
  static int stop;
  struct suspend_ctx c = {NULL, -1};
  STORE(stop, 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &c.p, 0, 0, "deaf"), 0);
  ktc_in_kthread(do_suspend_short, &c);
  KTC_CHECK_EQ(c.rc, EWOULDBLOCK);
  KTC_CHECK(kt_suspend_pending(c.p->p_kt)); /* the request stays pending */
  KTC_CHECK_EQ(kthread_resume(c.p), 0);
  STORE(stop, 1);
}

static void resume_not_suspended_is_zero(void) {
  static int stop;
  struct proc* p = NULL;
  STORE(stop, 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &p, 0, 0, "free"), 0);
  KTC_CHECK_EQ(kthread_resume(p), 0);
  STORE(stop, 1);
}

static void not_a_kthread_is_einval(void) {
  struct proc fake;
  memset(&fake, 0, sizeof fake);
  KTC_CHECK_EQ(kthread_suspend(&fake, 1), EINVAL);
  KTC_CHECK_EQ(kthread_resume(&fake), EINVAL);
  KTC_CHECK_EQ(kthread_suspend(NULL, 1), EINVAL);
}

static int self_rc[2] = {-1, -1};
static void self_suspend(void* arg) {
  (void)arg;
  self_rc[0] = kthread_suspend(curproc, 0);
  self_rc[1] = kthread_suspend(curproc, 2);
  kthread_resume(curproc);
  STORE(ran, 1);
  kthread_exit(0);
}
static void self_suspend_forever_is_edeadlk(void) {
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_create(self_suspend, NULL, NULL, 0, 0, "selfish"), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK_EQ(self_rc[0], EDEADLK);
  KTC_CHECK_EQ(self_rc[1], EWOULDBLOCK);
}

/* "the timo argument specifies a timeout to wait for the kernel thread to
 * acknowledge": 0 is no timeout (semantics.md 10.14), a negative count one
 * tick. A thread that checks only once released is waited for with timo 0. */
static int late_go;
static void checks_late(void* arg) {
  (void)arg;
  while (!LOAD(late_go)) tsleep(&late_go, 0, "late", 1);
  kthread_suspend_check(curproc);
  kthread_exit(0);
}
static void do_suspend_forever(void* arg) {
  struct suspend_ctx* c = (struct suspend_ctx*)arg;
  c->rc = kthread_suspend(c->p, 0);
}
static int suspender_asleep(void* arg) { return kt_thread_state(*(kt_tid_t*)arg) == KT_SLEEPING; }
static void suspend_timo_zero_waits_negative_is_a_tick(void) {
  static int stop;
  struct suspend_ctx c = {NULL, -1}, deaf = {NULL, -1};
  STORE(late_go, 0);
  KTC_CHECK_EQ(kthread_create(checks_late, NULL, &c.p, 0, 0, "late"), 0);
  /* The suspender sleeps with no timeout until the thread checks. */
  struct kt_thread_attr a;
  kt_tid_t t = 0;
  memset(&a, 0, sizeof a);
  a.name = "suspender";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  KTC_CHECK_EQ(kt_thread_create(&a, do_suspend_forever, &c, &t), 0);
  KTC_CHECK(ktc_wait(suspender_asleep, &t));
  STORE(late_go, 1);
  wakeup(&late_go);
  KTC_CHECK_EQ(kt_thread_join(t, NULL), 0);
  KTC_CHECK_EQ(c.rc, 0);
  KTC_CHECK_EQ(kthread_resume(c.p), 0);
  /* timo -5: one tick, so a thread that never checks times it out. */
  STORE(stop, 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &deaf.p, 0, 0, "deaf"), 0);
  deaf.rc = kthread_suspend(deaf.p, -5);
  KTC_CHECK_EQ(deaf.rc, EWOULDBLOCK);
  KTC_CHECK_EQ(kthread_resume(deaf.p), 0);
  STORE(stop, 1);
}

/* semantics.md 3.3: a second kthread_suspend of a suspended target gets no
 * acknowledgement: EWOULDBLOCK at its timeout, or 0 when the target is
 * resumed (both sleep on the same channel). */
static void do_suspend_long(void* arg) {
  struct suspend_ctx* c = (struct suspend_ctx*)arg;
  c->rc = kthread_suspend(c->p, 30 * hz);
}
static void second_suspend_times_out_or_ends_on_resume(void) {
  struct suspend_ctx c = {NULL, -1};
  STORE(stop_worker, 0);
  KTC_CHECK_EQ(kthread_create(checker, NULL, &c.p, 0, 0, "checker"), 0);
  ktc_in_kthread(do_suspend, &c);
  KTC_CHECK_EQ(c.rc, 0);
  KTC_CHECK_EQ(kt_thread_state(c.p->p_kt), KT_SUSPENDED);
  c.rc = -1;
  ktc_in_kthread(do_suspend_short, &c);
  KTC_CHECK_EQ(c.rc, EWOULDBLOCK);
  struct kt_thread_attr a;
  kt_tid_t t = 0;
  memset(&a, 0, sizeof a);
  a.name = "second";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  c.rc = -1;
  KTC_CHECK_EQ(kt_thread_create(&a, do_suspend_long, &c, &t), 0);
  KTC_CHECK(ktc_wait(suspender_asleep, &t));
  KTC_CHECK_EQ(kthread_resume(c.p), 0);
  KTC_CHECK_EQ(kt_thread_join(t, NULL), 0);
  KTC_CHECK_EQ(c.rc, 0);
  STORE(stop_worker, 1);
}

/* R3: a resume that lands before the target checks cancels the request,
 * and the suspender (on the same channel) returns 0 although the target
 * never stopped. */
static void resume_before_the_check_cancels_the_request(void) {
  static int stop;
  struct suspend_ctx c = {NULL, -1};
  struct kt_thread_attr a;
  kt_tid_t t = 0;
  STORE(stop, 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &c.p, 0, 0, "deaf"), 0);
  memset(&a, 0, sizeof a);
  a.name = "suspender";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  KTC_CHECK_EQ(kt_thread_create(&a, do_suspend_long, &c, &t), 0);
  KTC_CHECK(ktc_wait(suspender_asleep, &t));
  KTC_CHECK_EQ(kthread_resume(c.p), 0);
  KTC_CHECK_EQ(kt_thread_join(t, NULL), 0);
  KTC_CHECK_EQ(c.rc, 0);
  KTC_CHECK(!kt_suspend_pending(c.p->p_kt)); /* nothing left for its next check */
  STORE(stop, 1);
}

/* semantics.md 3.5: 5.x checks nothing, so kthread_suspend_check of another
 * proc makes the caller wait out that proc's request. */
static struct proc* target_p;
static int borrower_done;
static void checks_for_another(void* arg) {
  (void)arg;
  kthread_suspend_check(target_p);
  STORE(borrower_done, 1);
  kthread_exit(0);
}
static void suspend_check_of_another_proc_waits_for_its_request(void) {
  static int stop;
  struct suspend_ctx c = {NULL, -1};
  struct proc* borrower = NULL;
  STORE(stop, 0);
  STORE(borrower_done, 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &target_p, 0, 0, "target"), 0);
  c.p = target_p;
  ktc_in_kthread(do_suspend_short, &c); /* the request stays pending */
  KTC_CHECK_EQ(c.rc, EWOULDBLOCK);
  KTC_CHECK_EQ(kthread_create(checks_for_another, NULL, &borrower, 0, 0, "borrower"), 0);
  KTC_CHECK(ktc_wait(is_suspended, borrower));
  KTC_CHECK_EQ(LOAD(borrower_done), 0);
  KTC_CHECK_EQ(kthread_resume(target_p), 0);
  KTC_CHECK(ktc_wait(has_flag, &borrower_done));
  STORE(stop, 1);
}

/* semantics.md 9, stale handles: ESRCH where an int is returned, fatal for
 * the void kthread_suspend_check. */
static int proc_gone(void* p) { return kt_thread_state(((struct proc*)p)->p_kt) < 0; }
static struct proc* exited_proc(void) {
  struct proc* p = NULL;
  KTC_CHECK_EQ(kthread_create(quiet, NULL, &p, 0, 0, "gone"), 0);
  KTC_CHECK(ktc_wait(proc_gone, p));
  return p;
}
static void stale_proc_is_esrch(void) {
  struct proc* p = exited_proc();
  KTC_CHECK_EQ(kthread_suspend(p, 1), ESRCH);
  KTC_CHECK_EQ(kthread_resume(p), ESRCH);
  KTC_CHECK_EQ(kthread_run(p), ESRCH);
}
static void checks_stale(void* arg) {
  kthread_suspend_check((struct proc*)arg);
  kthread_exit(0);
}
static void suspend_check_of_a_stale_proc_panics(void) {
  struct proc* p = exited_proc();
  kthread_create(checks_stale, p, NULL, 0, 0, "checker");
  for (;;) sched_yield();
}

/* kthread_run (extension) starts an RFSTOPPED thread once: ESRCH for one
 * that runs already. */
static void kthread_run_of_a_running_thread_is_esrch(void) {
  static int stop;
  struct proc* p = NULL;
  STORE(stop, 0);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &p, 0, 0, "running"), 0);
  KTC_CHECK_EQ(kthread_run(p), ESRCH);
  KTC_CHECK_EQ(kthread_create(never_checks, &stop, &p, RFSTOPPED, 0, "stopped"), 0);
  KTC_CHECK_EQ(kthread_run(p), 0);
  KTC_CHECK_EQ(kthread_run(p), ESRCH);
  STORE(stop, 1);
}

/* "The new thread shares its address space with process 0, the swapper":
 * code that runs in no kthread of its own (SYSINIT, shutdown handlers)
 * sees proc0 as curproc, which is no kthread; a host thread sees none. */
static struct proc* sysinit_saw;
static void sees_curproc(void* arg) {
  (void)arg;
  sysinit_saw = curproc;
}
static void curproc_is_proc0_outside_kthreads(void) {
  KTC_CHECK(curproc == NULL);
  sysinit_saw = NULL;
  ktc_in_kthread(sees_curproc, NULL); /* a kernel thread kthread_create did not make */
  KTC_CHECK(sysinit_saw == &proc0);
  KTC_CHECK_EQ(proc0.p_pid, 0);
  KTC_CHECK(strcmp(proc0.p_comm, "swapper") == 0);
  KTC_CHECK_EQ(kthread_suspend(&proc0, 1), EINVAL); /* not a kernel thread */
  KTC_CHECK_EQ(kthread_resume(&proc0), EINVAL);
}
static void exits_as_proc0(void* arg) {
  (void)arg;
  kthread_exit(0);
}
static void kthread_exit_in_proc0_panics(void) { ktc_in_kthread(exits_as_proc0, NULL); }

/* semantics.md 3.1 step 1: "If proc0's statistics block has not been set up
 * yet, the kernel panics with 'kthread_create called too soon'". */
static void create_before_boot_panics(void) {
  ktc_shutdown();
  kthread_create(quiet, NULL, NULL, 0, 0, "early");
}

static void kproc_shutdown_null_panics(void) { kproc_shutdown(NULL, 0); }

/* "The pages argument specifies the size of the new kernel thread's stack
 * in pages": 32 pages (128 KiB, above the kernel's 64 KiB default) can be
 * used almost whole. */
static int deep(int n) {
  volatile char pad[1024];
  pad[0] = (char)n;
  return n == 0 ? pad[0] : deep(n - 1) + pad[0];
}
static void uses_100k(void* arg) {
  (void)arg;
  deep(100);
  STORE(ran, 1);
  kthread_exit(0);
}
static void pages_give_a_stack_that_size(void) {
  struct proc* p = NULL;
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_create(uses_100k, NULL, &p, 0, KSTACK_MAX_PAGES, "bigstack"), 0);
  KTC_CHECK_EQ(p->p_kstack_pages, KSTACK_MAX_PAGES);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

/* "EAGAIN: the system-imposed limit ... would be exceeded", after fork1's
 * hz/2 sleep (semantics.md 3.1 step 3) and its console message. The
 * creator is a kthread, so the back-off is a sleep the test can watch. */
static int eagain_rc = -1;
static long eagain_ms = -1;
static void creates_at_the_limit(void* arg) {
  struct timespec t0, t1;
  (void)arg;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  const int rc = kthread_create(quiet, NULL, NULL, 0, 0, "extra");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  eagain_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  STORE(eagain_rc, rc);
  kthread_exit(0);
}
static int eagain_done(void* p) {
  (void)p;
  return LOAD(eagain_rc) != -1;
}
static void maxproc_backs_off_half_a_second(void) {
  static int release;
  struct proc* creator = NULL;
  ktc_reboot(2, 3);
  STORE(release, 0);
  STORE(eagain_rc, -1);
  KTC_CHECK_EQ(kthread_eagain_delay_ms, 500); /* the default: hz/2 */
  for (int i = 0; i < 2; i++)
    KTC_CHECK_EQ(kthread_create(spin_until_released, &release, NULL, 0, 0, "fill%d", i), 0);
  KTC_CHECK_EQ(kthread_create(creates_at_the_limit, NULL, &creator, 0, 0, "creator"), 0);
  KTC_CHECK(ktc_wait(is_sleeping, creator)); /* the back-off sleeps, it does not spin */
  KTC_CHECK(ktc_wait(eagain_done, NULL));
  KTC_CHECK_EQ(LOAD(eagain_rc), EAGAIN);
  KTC_CHECK(eagain_ms >= 500);
  KTC_CHECK(strstr(ktc_console(),
                   "maxproc limit exceeded by uid 0, please see tuning(7) and "
                   "login.conf(5).\n") != NULL);
  STORE(release, 1);
  wakeup(&release);
}

static void rfppwait_child(void* arg) {
  __atomic_store_n((int*)arg, 1, __ATOMIC_RELEASE);
  kthread_exit(0);
}
static void rfppwait_waits_for_the_child(void) {
  int child_done = 0;
  KTC_CHECK_EQ(kthread_create(rfppwait_child, &child_done, NULL, RFPPWAIT, 0, "child"), 0);
  KTC_CHECK_EQ(LOAD(child_done), 1);
}

static void kproc_start_null_panics(void) { kproc_start(NULL); }

static const struct ktc_case cases[] = {
    /* First: only a fresh process has its pid cursor below 10. */
    {"RFHIGHPID: the pid is at least 10 and the pid cursor does not move",
     rfhighpid_is_ten_or_more_and_keeps_the_cursor},
    {"kthread_create runs func(arg), returns 0 and sets *newpp and p_comm", creates_and_runs},
    {"kernel threads run at the kernel's priority", priority_is_the_kernels},
    {"*newpp is published before the new thread first runs", publishes_before_running},
    {"the name is built with printf(9) and truncated to MAXCOMLEN",
     name_is_formatted_and_truncated},
    {"a NULL newpp is ignored", null_newpp_is_ignored},
    {"EINVAL: the RFCFDG flag was specified", rfcfdg_is_einval},
    {"EINVAL: NULL func, NULL fmt, or a flag rfork(2) does not define", bad_input_is_einval},
    {"the other rfork(2) flags are accepted", known_flags_are_accepted},
    {"EAGAIN: the limit on the number of processes would be exceeded", maxproc_is_eagain},
    {"RFSTOPPED: created, runs only once started (kthread_run)", rfstopped_waits_for_kthread_run},
    {"pages: 0 or 1 is the default KSTACK_PAGES, more than 32 is 32", pages_are_bounded},
    {"a returning func is reported as exited prematurely", returning_func_is_tolerated},
    {"kthread_exit wakes sleepers on the thread handle", exit_wakes_the_handle},
    {"kthread_exit outside a kernel thread panics", exit_from_host_panics,
     "called from a host thread"},
    {"kthread_suspend waits for the acknowledgement; kthread_resume continues",
     suspend_acknowledged_and_resumed},
    {"kthread_suspend times out with EWOULDBLOCK, request left pending",
     suspend_times_out_with_ewouldblock},
    {"kthread_resume of a thread not suspended returns 0", resume_not_suspended_is_zero},
    {"EINVAL: the p argument does not reference a kernel thread", not_a_kthread_is_einval},
    {"self-suspension with timo 0 is EDEADLK, with a timeout EWOULDBLOCK",
     self_suspend_forever_is_edeadlk},
    {"RFPPWAIT: the creator waits until the new thread exits", rfppwait_waits_for_the_child},
    {"kproc_start(NULL) panics", kproc_start_null_panics, "kproc_start: NULL"},
    {"kproc_shutdown(NULL) panics", kproc_shutdown_null_panics, "kproc_shutdown: NULL"},
    {"kthread_suspend timo 0 waits for the acknowledgement; a negative timo is one tick",
     suspend_timo_zero_waits_negative_is_a_tick},
    {"a second kthread_suspend of a suspended thread: EWOULDBLOCK, or 0 when it is resumed",
     second_suspend_times_out_or_ends_on_resume},
    {"R3: a resume before the target's check cancels the request; the suspender returns 0",
     resume_before_the_check_cancels_the_request},
    {"kthread_suspend_check of another proc waits out that proc's request",
     suspend_check_of_another_proc_waits_for_its_request},
    {"a struct proc that has exited: ESRCH from kthread_suspend, kthread_resume, kthread_run",
     stale_proc_is_esrch},
    {"kthread_suspend_check of a struct proc that has exited panics",
     suspend_check_of_a_stale_proc_panics, "a process that has exited"},
    {"kthread_run of a thread that runs already is ESRCH",
     kthread_run_of_a_running_thread_is_esrch},
    {"outside its kthreads curproc is proc0, the swapper (not a kernel thread); NULL on a host",
     curproc_is_proc0_outside_kthreads},
    {"kthread_exit in proc0 panics", kthread_exit_in_proc0_panics, "proc0 (swapper)"},
    {"kthread_create before the kernel is up panics: called too soon", create_before_boot_panics,
     "kthread_create called too soon"},
    {"pages: the stack is that many pages, even above the kernel's default",
     pages_give_a_stack_that_size},
    {"EAGAIN at the process limit comes after fork1's half-second sleep and its message",
     maxproc_backs_off_half_a_second},
};

KTC_MAIN("FreeBSD kthread(9)", cases)
