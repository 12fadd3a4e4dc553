/*
 * NetBSD kthread(9) (seed 002): kthread_create with priorities, flags and
 * CPU binding, kthread_exit, kthread_join, kthread_fpu_enter/exit.
 */
#include <kt/c/thread.h>
#include <kt/kernel.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/cpu.h>
#include <sys/kthread.h>
#include <sys/lwp.h>
#include <sys/mutex.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static int ran;
static void* ran_arg;
static lwp_t* ran_self;
static lwp_t* published;
static lwp_t* ran_published;
static int ran_cpu;

static void body(void* arg) {
  ran_arg = arg;
  ran_self = curlwp;
  ran_published = published;
  ran_cpu = (int)curcpu()->ci_index;
  STORE(ran, 1);
  kthread_exit(0);
}
static int has_run(void* p) {
  (void)p;
  return LOAD(ran);
}

static void creates_runs_and_publishes(void) {
  int x;
  STORE(ran, 0);
  published = NULL;
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, body, &x, &published, "nb%d", 1), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK(ran_arg == &x);
  KTC_CHECK(published != NULL && ran_self == published);
  KTC_CHECK(ran_published == published);
  KTC_CHECK(strcmp(published->l_name, "nb1") == 0);
}

static void quiet(void* arg) {
  (void)arg;
  kthread_exit(0);
}

static void pri_none_is_pri_kthread(void) {
  lwp_t *l = NULL, *ts = NULL, *hi = NULL;
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_IDLE, NULL, quiet, NULL, &l, "n"), 0);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_IDLE | KTHREAD_TS, NULL, quiet, NULL, &ts, "t"), 0);
  KTC_CHECK_EQ(kthread_create(MAXPRI_KERNEL_RT, KTHREAD_IDLE, NULL, quiet, NULL, &hi, "h"), 0);
  KTC_CHECK_EQ(l->l_priority, PRI_KTHREAD);
  KTC_CHECK_EQ(ts->l_priority, MAXPRI_USER);
  /* Higher NetBSD priority = more urgent = lower number on the core's scale. */
  KTC_CHECK_EQ(kt_thread_priority(l->l_kt), PRI_COUNT - 1 - PRI_KTHREAD);
  KTC_CHECK(kt_thread_priority(hi->l_kt) < kt_thread_priority(l->l_kt));
  KTC_CHECK(kt_thread_priority(l->l_kt) < kt_thread_priority(ts->l_kt));
  kthread_run(l), kthread_run(ts), kthread_run(hi);
}

/* The FLAGS column of name's line in the ps listing ("" if not listed). */
static void ps_flags(const char* name, char* flags, size_t len) {
  char* buf = NULL;
  size_t n = 0;
  FILE* f = open_memstream(&buf, &n);
  kt_ps(f);
  fclose(f);
  flags[0] = '\0';
  for (char* line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    char pid[16], nm[64], state[16], wchan[32], pri[8], cpu[8], fl[16];
    if (sscanf(line, "%15s %63s %15s %31s %7s %7s %15s", pid, nm, state, wchan, pri, cpu, fl) ==
            7 &&
        strcmp(nm, name) == 0)
      snprintf(flags, len, "%s", fl);
  }
  free(buf);
}

/* KTHREAD_INTR (with MPSAFE) makes an interrupt thread, KTHREAD_TS a
 * time-sharing one: ps shows both, and the LWP keeps the flags. */
static void intr_and_ts_threads(void) {
  lwp_t *in = NULL, *ts = NULL;
  char f[16];
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_IDLE | KTHREAD_MPSAFE | KTHREAD_INTR, NULL, quiet,
                              NULL, &in, "nbintr"),
               0);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_IDLE | KTHREAD_TS, NULL, quiet, NULL, &ts, "nbts"),
               0);
  KTC_CHECK(in->l_flag & KTHREAD_INTR);
  KTC_CHECK(ts->l_flag & KTHREAD_TS);
  ps_flags("nbintr", f, sizeof f);
  KTC_CHECK(strchr(f, 'I') != NULL && strchr(f, 'M') != NULL);
  ps_flags("nbts", f, sizeof f);
  KTC_CHECK(strchr(f, 'T') != NULL && strchr(f, 'M') == NULL);
  kthread_run(in), kthread_run(ts);
}

static void bad_input_is_einval(void) {
  lwp_t* l = NULL;
  struct cpu_info fake;
  memset(&fake, 0, sizeof fake);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, 0, NULL, NULL, NULL, &l, "x"), EINVAL);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, 0, NULL, body, NULL, &l, NULL), EINVAL);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, 0x100, NULL, body, NULL, &l, "x"), EINVAL);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_INTR, NULL, body, NULL, &l, "x"), EINVAL);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN, NULL, body, NULL, NULL, "x"), EINVAL);
  KTC_CHECK_EQ(kthread_create(PRI_COUNT, 0, NULL, body, NULL, &l, "x"), EINVAL);
  KTC_CHECK_EQ(kthread_create(-2, 0, NULL, body, NULL, &l, "x"), EINVAL);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, 0, &fake, body, NULL, &l, "x"), EINVAL);
  KTC_CHECK(l == NULL);
}

static void name_holds_fifteen_characters(void) {
  lwp_t* l = NULL;
  char shown[64];
  KTC_CHECK_EQ(
      kthread_create(PRI_NONE, KTHREAD_IDLE, NULL, body, NULL, &l, "%s", "0123456789abcdefghij"),
      0);
  KTC_CHECK(strcmp(l->l_name, "0123456789abcde") == 0);
  KTC_CHECK_EQ(kt_thread_name(l->l_kt, shown, sizeof shown), 0); /* ps's name */
  KTC_CHECK(strcmp(shown, "0123456789abcde") == 0);
  kthread_run(l);
}

static void ci_binds_to_that_cpu(void) {
  for (u_int i = 0; i < (u_int)ncpu; i++) {
    STORE(ran, 0);
    published = NULL;
    KTC_CHECK_EQ(
        kthread_create(PRI_NONE, KTHREAD_MPSAFE, cpu_lookup(i), body, NULL, &published, "bound"),
        0);
    KTC_CHECK(ktc_wait(has_run, NULL));
    KTC_CHECK_EQ(ran_cpu, (int)i);
  }
  KTC_CHECK(cpu_lookup((u_int)ncpu) == NULL);
  KTC_CHECK_EQ(ncpu, 2);
}

static void idle_waits_for_kthread_run(void) {
  lwp_t* l = NULL;
  STORE(ran, 0);
  KTC_CHECK_EQ(
      kthread_create(PRI_NONE, KTHREAD_IDLE | KTHREAD_MPSAFE, NULL, body, NULL, &l, "idle"), 0);
  for (int i = 0; i < 1000; i++) sched_yield();
  KTC_CHECK_EQ(LOAD(ran), 0);
  KTC_CHECK_EQ(kt_thread_state(l->l_kt), KT_IDLE_STATE);
  KTC_CHECK_EQ(kthread_run(l), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

/* Without KTHREAD_MPSAFE the big kernel lock is held whenever it runs. */
static int inside, overlap, held;
static int finished;
static void locked_body(void* arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    if (kt_biglock_held()) __atomic_fetch_add(&held, 1, __ATOMIC_RELAXED);
    if (__atomic_fetch_add(&inside, 1, __ATOMIC_ACQ_REL) != 0)
      __atomic_fetch_add(&overlap, 1, __ATOMIC_RELAXED);
    for (int k = 0; k < 200; k++) __asm__ volatile("");
    __atomic_fetch_sub(&inside, 1, __ATOMIC_ACQ_REL);
    if (i % 20 == 0) kpause("yield", false, 1, NULL);
  }
  __atomic_fetch_add(&finished, 1, __ATOMIC_ACQ_REL);
  kthread_exit(0);
}
static int four_finished(void* p) {
  (void)p;
  return LOAD(finished) == 4;
}
static void not_mpsafe_runs_under_the_kernel_lock(void) {
  STORE(finished, 0);
  STORE(overlap, 0);
  STORE(held, 0);
  for (int i = 0; i < 4; i++)
    KTC_CHECK_EQ(kthread_create(PRI_NONE, 0, NULL, locked_body, NULL, NULL, "legacy"), 0);
  KTC_CHECK(ktc_wait(four_finished, NULL));
  KTC_CHECK_EQ(LOAD(overlap), 0);
  KTC_CHECK_EQ(LOAD(held), 4 * 200);
}

/* MUSTJOIN: exit waits for the join; join returns 0. */
static void exits_at_once(void* arg) { kthread_exit(*(int*)arg); }
struct join_ctx {
  lwp_t* l;
  int rc;
  int rc2;
};
static void joins(void* arg) {
  struct join_ctx* c = (struct join_ctx*)arg;
  c->rc = kthread_join(c->l);
  c->rc2 = kthread_join(c->l);
}
static void mustjoin_join_returns_zero_both_orders(void) {
  static int zero = 0;
  for (int i = 0; i < 500; i++) {
    struct join_ctx c = {NULL, -1, -1};
    KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN | KTHREAD_MPSAFE, NULL, exits_at_once,
                                &zero, &c.l, "mj"),
                 0);
    if (i % 2)
      for (int k = 0; k < 50; k++) sched_yield(); /* let it reach its exit first */
    ktc_in_kthread(joins, &c);
    KTC_CHECK_EQ(c.rc, 0);
    KTC_CHECK_EQ(c.rc2, ESRCH); /* joined: the handle is gone */
  }
}

static void join_misuse_is_an_error(void) {
  lwp_t* l = NULL;
  lwp_t fake;
  memset(&fake, 0, sizeof fake);
  KTC_CHECK_EQ(kthread_join(&fake), EINVAL);
  KTC_CHECK_EQ(kthread_join(NULL), EINVAL);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_IDLE, NULL, body, NULL, &l, "nojoin"), 0);
  KTC_CHECK_EQ(kthread_join(l), EINVAL); /* not MUSTJOIN */
  kthread_run(l);
}

static int is_asleep(void* p) { return kt_thread_state(*(kt_tid_t*)p) == KT_SLEEPING; }

static int self_rc = -1;
static void joins_itself(void* arg) {
  (void)arg;
  STORE(self_rc, kthread_join(curlwp));
  kthread_exit(0);
}
static int self_done(void* p) {
  (void)p;
  return LOAD(self_rc) != -1;
}
static void self_join_is_edeadlk(void) {
  lwp_t* l = NULL;
  STORE(self_rc, -1);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN | KTHREAD_MPSAFE, NULL, joins_itself, NULL,
                              &l, "narcissus"),
               0);
  KTC_CHECK(ktc_wait(self_done, NULL));
  KTC_CHECK_EQ(LOAD(self_rc), EDEADLK);
  KTC_CHECK_EQ(kthread_join(l), 0);
}

static int warned(void* p) { return strstr(ktc_console(), (const char*)p) != NULL; }
static void exit_status_warns(void) {
  static int three = 3;
  lwp_t* l = NULL;
  char want[96];
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN, NULL, exits_at_once, &three, &l, "sad"),
               0);
  snprintf(want, sizeof want, "WARNING: kthread `sad' (%d) exits with status 3\n", l->l_lid);
  KTC_CHECK_EQ(kthread_join(l), 0);
  KTC_CHECK(warned(want));
}

static void returns(void* arg) { (void)arg; }
static void wait_forever(void* arg) {
  (void)arg;
  for (;;) kpause("forever", false, 0, NULL);
}
static void returning_is_fatal(void) {
  kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, returns, NULL, NULL, "quitter");
  ktc_in_kthread(wait_forever, NULL);
}

/* FPU sections */
struct fpu_ctx {
  int outer, inner;
  float after[4];
};
static void fpu_body(void* arg) {
  struct fpu_ctx* c = (struct fpu_ctx*)arg;
  static const float secret[4] __attribute__((aligned(16))) = {1.5f, 2.5f, 3.5f, 4.5f};
  c->outer = kthread_fpu_enter();
  c->inner = kthread_fpu_enter();
  kthread_fpu_exit(c->inner);
  __asm__ volatile("movaps %0, %%xmm14" : : "m"(secret) : "xmm14");
  kthread_fpu_exit(c->outer);
  __asm__ volatile("movups %%xmm14, %0" : "=m"(c->after));
}
static void fpu_nests_and_the_last_exit_zeroes(void) {
  struct fpu_ctx c;
  memset(&c, 0xff, sizeof c);
  ktc_in_kthread(fpu_body, &c);
  KTC_CHECK_EQ(c.outer, 0);
  KTC_CHECK(c.inner != 0);
  for (int i = 0; i < 4; i++) KTC_CHECK(c.after[i] == 0.0f);
}
static void bad_fpu_order(void* arg) {
  (void)arg;
  int s = kthread_fpu_enter();
  kthread_fpu_enter();
  kthread_fpu_exit(s);
}
static void fpu_wrong_order_panics(void) { ktc_in_kthread(bad_fpu_order, NULL); }
static void fpu_exit_without_enter(void* arg) {
  (void)arg;
  kthread_fpu_exit(0);
}
static void fpu_exit_without_enter_panics(void) { ktc_in_kthread(fpu_exit_without_enter, NULL); }

/* A name formatted to nothing is printed as "unnamed" (semantics.md 5.3). */
static void exit_warning_of_an_unnamed_thread(void) {
  static int four = 4;
  lwp_t* l = NULL;
  char want[96];
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN, NULL, exits_at_once, &four, &l, "%s", ""),
               0);
  snprintf(want, sizeof want, "WARNING: kthread `unnamed' (%d) exits with status 4\n", l->l_lid);
  KTC_CHECK_EQ(kthread_join(l), 0);
  KTC_CHECK(warned(want));
}

/* semantics.md 9: double join, concurrent: EINVAL for the second joiner. */
static int hold_go;
static void waits_then_exits(void* arg) {
  (void)arg;
  while (!LOAD(hold_go)) kpause("hold", false, 1, NULL);
  kthread_exit(0);
}
static void second_concurrent_join_is_einval(void) {
  struct join_ctx c = {NULL, -1, -1};
  struct kt_thread_attr a;
  kt_tid_t joiner = 0;
  STORE(hold_go, 0);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN | KTHREAD_MPSAFE, NULL, waits_then_exits,
                              NULL, &c.l, "held"),
               0);
  memset(&a, 0, sizeof a);
  a.name = "joiner";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  KTC_CHECK_EQ(kt_thread_create(&a, joins, &c, &joiner), 0);
  KTC_CHECK(ktc_wait(is_asleep, &joiner)); /* the first join waits */
  KTC_CHECK_EQ(kthread_join(c.l), EINVAL); /* a second one, meanwhile */
  STORE(hold_go, 1);
  KTC_CHECK_EQ(kt_thread_join(joiner, NULL), 0);
  KTC_CHECK_EQ(c.rc, 0);
}

/* semantics.md 5.4 / 9: an LWP that is gone is ESRCH; lwp0 and pointers
 * that never were a kthread's LWP are EINVAL, and kthread_run of either or
 * of a running thread is ESRCH. */
static lwp_t* ktc_saw;
static void sees_curlwp(void* arg) {
  (void)arg;
  ktc_saw = curlwp;
}
static void curlwp_is_lwp0_outside_kthreads(void) {
  KTC_CHECK(curlwp == NULL);
  ktc_saw = NULL;
  ktc_in_kthread(sees_curlwp, NULL);
  KTC_CHECK(ktc_saw == &lwp0); /* not a zeroed record, not another face's */
  KTC_CHECK_EQ(kthread_join(&lwp0), EINVAL);
  KTC_CHECK_EQ(kthread_run(&lwp0), ESRCH);
}
static void kthread_run_of_running_or_gone_is_esrch(void) {
  static int zero = 0;
  lwp_t* l = NULL;
  STORE(hold_go, 0);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN | KTHREAD_MPSAFE, NULL, waits_then_exits,
                              NULL, &l, "running"),
               0);
  KTC_CHECK_EQ(kthread_run(l), ESRCH);
  STORE(hold_go, 1);
  KTC_CHECK_EQ(kthread_join(l), 0);
  KTC_CHECK_EQ(kthread_run(l), ESRCH);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MUSTJOIN, NULL, exits_at_once, &zero, &l, "j"), 0);
  KTC_CHECK_EQ(kthread_join(l), 0);
  KTC_CHECK_EQ(kthread_join(l), ESRCH);
}

/* The page lists EAGAIN; the core's limit (kt_config.maxproc) gives it. */
static void limit_is_eagain(void) {
  lwp_t* l = NULL;
  ktc_reboot(2, 2);
  STORE(hold_go, 0);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, waits_then_exits, NULL, NULL, "a"),
               0);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, waits_then_exits, NULL, NULL, "b"),
               0);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, body, NULL, &l, "c"), EAGAIN);
  KTC_CHECK(l == NULL);
  STORE(hold_go, 1);
}

static void create_before_boot_panics(void) {
  ktc_shutdown();
  kthread_create(PRI_NONE, 0, NULL, body, NULL, NULL, "early");
}

static void exit_from_a_host_thread_panics(void) { kthread_exit(0); }

static void exits_as_lwp0(void* arg) {
  (void)arg;
  kthread_exit(0);
}
static void kthread_exit_as_lwp0_panics(void) { ktc_in_kthread(exits_as_lwp0, NULL); }

static void fpu_bad_cookie(void* arg) {
  (void)arg;
  kthread_fpu_enter();
  kthread_fpu_exit(12345);
}
static void fpu_bad_cookie_panics(void) { ktc_in_kthread(fpu_bad_cookie, NULL); }
static void fpu_from_a_host_thread_panics(void) { kthread_fpu_enter(); }

/* The u-area is USPACE (12 KiB): a thread can use most of it. */
static int deep(int n) {
  volatile char pad[1024];
  pad[0] = (char)n;
  return n == 0 ? pad[0] : deep(n - 1) + pad[0];
}
static void uses_10k(void* arg) {
  (void)arg;
  deep(10);
  STORE(ran, 1);
  kthread_exit(0);
}
static void stack_holds_the_u_area(void) {
  STORE(ran, 0);
  KTC_CHECK_EQ(USPACE, 12 * 1024);
  KTC_CHECK_EQ(kthread_create(PRI_NONE, KTHREAD_MPSAFE, NULL, uses_10k, NULL, NULL, "deep"), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

static const struct ktc_case cases[] = {
    {"kthread_create: func(arg) runs; *newlp receives the LWP before it runs",
     creates_runs_and_publishes},
    {"KTHREAD_INTR|KTHREAD_MPSAFE makes an interrupt thread, KTHREAD_TS a time-sharing one",
     intr_and_ts_threads},
    {"PRI_NONE selects the default priority (PRI_KTHREAD, MAXPRI_USER for KTHREAD_TS)",
     pri_none_is_pri_kthread},
    {"bad input (NULL func or fmt, unknown flag, INTR without MPSAFE, MUSTJOIN without newlp, "
     "priority out of range, a ci that is not a CPU) is EINVAL",
     bad_input_is_einval},
    {"the name is formatted into MAXCOMLEN bytes", name_holds_fifteen_characters},
    {"ci non-NULL: the thread only ever executes on that CPU", ci_binds_to_that_cpu},
    {"KTHREAD_IDLE: created idle, runs once started (kthread_run)", idle_waits_for_kthread_run},
    {"without KTHREAD_MPSAFE the kernel lock is held whenever it runs",
     not_mpsafe_runs_under_the_kernel_lock},
    {"KTHREAD_MUSTJOIN: kthread_join waits for the exit and returns 0, exit waits for the join",
     mustjoin_join_returns_zero_both_orders},
    {"kthread_join of something not joinable is EINVAL", join_misuse_is_an_error},
    {"kthread_join of oneself is EDEADLK", self_join_is_edeadlk},
    {"kthread_exit with a nonzero status prints a warning", exit_status_warns},
    {"func must not return: returning is fatal", returning_is_fatal, "returned from its function"},
    {"kthread_fpu_enter/exit nest; the last exit zeroes the registers",
     fpu_nests_and_the_last_exit_zeroes},
    {"kthread_fpu_exit out of order panics", fpu_wrong_order_panics, "reverse order"},
    {"kthread_fpu_exit without enter panics", fpu_exit_without_enter_panics,
     "not in an FPU section"},
    {"kthread_exit of a thread named \"\" prints `unnamed'", exit_warning_of_an_unnamed_thread},
    {"a second kthread_join while one waits is EINVAL", second_concurrent_join_is_einval},
    {"curlwp is lwp0 in a kernel thread kthread_create did not make; NULL on a host thread",
     curlwp_is_lwp0_outside_kthreads},
    {"kthread_run of a running or gone LWP, kthread_join of a joined one: ESRCH",
     kthread_run_of_running_or_gone_is_esrch},
    {"EAGAIN: the limit on the number of threads would be exceeded", limit_is_eagain},
    {"kthread_create before boot panics", create_before_boot_panics, "called before kt_boot"},
    {"kthread_exit as lwp0 panics", kthread_exit_as_lwp0_panics, "called from lwp0"},
    {"kthread_exit outside a kernel thread panics", exit_from_a_host_thread_panics,
     "called from a host thread"},
    {"kthread_fpu_exit with a cookie kthread_fpu_enter did not return panics",
     fpu_bad_cookie_panics, "passed cookie 12345"},
    {"kthread_fpu_enter outside a kernel thread panics", fpu_from_a_host_thread_panics,
     "host thread"},
    {"a kernel thread's stack holds its u-area (USPACE)", stack_holds_the_u_area},
};

KTC_MAIN("NetBSD kthread(9)", cases)
