/*
 * OpenBSD 5.7 kthread(9) (seed 001): kthread_create, kthread_exit,
 * kthread_create_deferred. One case per sentence of the page (or of
 * semantics.md where the page is silent).
 */
#include <kt/c/thread.h>
#include <stdio.h>
#include <string.h>
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static int ran;
static void* ran_arg;
static struct proc* ran_self;
static struct proc* ran_published;
static struct proc* published;

static void body(void* arg) {
  ran_arg = arg;
  ran_self = curproc;
  ran_published = published;
  STORE(ran, 1);
  kthread_exit(0);
}
static int has_run(void* p) {
  (void)p;
  return LOAD(ran);
}

static void starts_func_with_arg(void) {
  int x;
  STORE(ran, 0);
  published = NULL;
  KTC_CHECK_EQ(kthread_create(body, &x, &published, "drv0"), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK(ran_arg == &x);
  KTC_CHECK(published != NULL && ran_self == published);
  KTC_CHECK(ran_published == published); /* filled before the thread ran */
  KTC_CHECK(strcmp(published->p_comm, "drv0") == 0);
  KTC_CHECK(published->p_pid > 0);
}

static void null_newpp_and_null_arg(void) {
  STORE(ran, 0);
  ran_arg = &ran;
  KTC_CHECK_EQ(kthread_create(body, NULL, NULL, "noargs"), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK(ran_arg == NULL); /* passed as given (5.7 passed the proc) */
}

static int release;
static void hold(void* arg) {
  (void)arg;
  while (!LOAD(release)) tsleep(&release, 0, "hold", 1);
  kthread_exit(0);
}
static void name_is_cut_at_maxcomlen(void) {
  char shown[64];
  struct proc* p = NULL;
  STORE(release, 0);
  KTC_CHECK_EQ(kthread_create(hold, NULL, &p, "abcdefghijklmnopqrstuvwxyz"), 0);
  KTC_CHECK_EQ(strlen(p->p_comm), MAXCOMLEN);
  KTC_CHECK(strncmp(p->p_comm, "abcdefghijklmnop", MAXCOMLEN) == 0);
  /* the kernel's own name for it (ps) is p_comm too */
  KTC_CHECK_EQ(kt_thread_name(p->p_kt, shown, sizeof shown), 0);
  KTC_CHECK(strcmp(shown, "abcdefghijklmnop") == 0);
  STORE(release, 1);
}

static void bad_input_is_einval(void) {
  struct proc* p = NULL;
  KTC_CHECK_EQ(kthread_create(NULL, NULL, &p, "nofunc"), EINVAL);
  KTC_CHECK_EQ(kthread_create(body, NULL, &p, NULL), EINVAL);
  KTC_CHECK(p == NULL);
}

static void limit_is_eagain(void) {
  struct proc* p = NULL;
  ktc_reboot(2, 3);
  STORE(release, 0);
  for (int i = 0; i < 3; i++) KTC_CHECK_EQ(kthread_create(hold, NULL, NULL, "fill"), 0);
  KTC_CHECK_EQ(kthread_create(body, NULL, &p, "extra"), EAGAIN);
  KTC_CHECK(p == NULL);
  STORE(release, 1);
}

static void exit_code(void* arg) { kthread_exit(*(int*)arg); }
static int warned(void* p) { return strstr(ktc_console(), (const char*)p) != NULL; }
static void exit_warns_on_nonzero_status(void) {
  static int code = 3, zero = 0;
  struct proc* p = NULL;
  char want[128];
  KTC_CHECK_EQ(kthread_create(exit_code, &code, &p, "sad"), 0);
  snprintf(want, sizeof want, "WARNING: thread `sad' (%d) exits with status 3\n", (int)p->p_pid);
  KTC_CHECK(ktc_wait(warned, want));
  KTC_CHECK_EQ(kthread_create(exit_code, &zero, NULL, "happy"), 0);
  ktc_shutdown();
  KTC_CHECK(strstr(ktc_console(), "`happy'") == NULL); /* status 0: quiet */
}

static void returns(void* arg) { (void)arg; }
static void waits_forever(void* arg) {
  (void)arg;
  for (;;) tsleep(&release, 0, "wait", 0);
}
static void run_quitter(void) { /* runs in the panic child */
  kthread_create(returns, NULL, NULL, "quitter");
  ktc_in_kthread(waits_forever, NULL);
}

static void exit_from_host_panics(void) { kthread_exit(0); }

/* kthread_create_deferred */
static char trace[64];
static void mark(void* arg) { strncat(trace, (const char*)arg, sizeof trace - strlen(trace) - 1); }
static void mark_and_nest(void* arg) {
  mark(arg);
  kthread_create_deferred(mark, (void*)"n"); /* made while the queue drains: runs now */
}
static void deferred_run_when_the_system_is_up(void) {
  trace[0] = '\0';
  ktc_shutdown();
  kthread_create_deferred(mark, (void*)"a");
  kthread_create_deferred(mark_and_nest, (void*)"b");
  kthread_create_deferred(mark, (void*)"c");
  KTC_CHECK_EQ(strlen(trace), 0); /* queued: the system is down */
  ktc_reboot(2, 0);
  KTC_CHECK(strcmp(trace, "abnc") == 0);
  kthread_create_deferred(mark, (void*)"d"); /* the system is up: at once */
  KTC_CHECK(strcmp(trace, "abncd") == 0);
}

static void deferred_null_is_fatal(void) { kthread_create_deferred(NULL, NULL); }

static void create_from_deferred(void* arg) {
  (void)arg;
  kthread_create(body, NULL, NULL, "late");
}
static void deferred_callback_creates_a_thread(void) {
  STORE(ran, 0);
  ktc_shutdown();
  kthread_create_deferred(create_from_deferred, NULL);
  ktc_reboot(2, 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

/* semantics.md 4.3: deferred callbacks run "in proc0's context", which is
 * what curproc is in any kernel thread kthread_create did not make. */
static struct proc* deferred_saw;
static void sees_curproc(void* arg) {
  (void)arg;
  deferred_saw = curproc;
}
static void deferred_callbacks_run_as_proc0(void) {
  KTC_CHECK(curproc == NULL); /* a host thread */
  deferred_saw = NULL;
  ktc_shutdown();
  kthread_create_deferred(sees_curproc, NULL);
  ktc_reboot(2, 0);
  KTC_CHECK(deferred_saw == &proc0);
  KTC_CHECK_EQ(proc0.p_pid, 0);
  KTC_CHECK(strcmp(proc0.p_comm, "swapper") == 0);
}
static void exits_as_proc0(void* arg) {
  (void)arg;
  kthread_exit(1);
}
static void kthread_exit_in_proc0_panics(void) {
  ktc_shutdown();
  kthread_create_deferred(exits_as_proc0, NULL);
  ktc_reboot(2, 0);
}

/* kthread_create_deferred exists because threads cannot be created before
 * the system is up: kthread_create then is fatal. */
static void create_before_boot_panics(void) {
  ktc_shutdown();
  kthread_create(body, NULL, NULL, "early");
}

/* The u-area is USPACE (20 KiB): a thread can use most of it. */
static int deep(int n) {
  volatile char pad[1024];
  pad[0] = (char)n;
  return n == 0 ? pad[0] : deep(n - 1) + pad[0];
}
static void uses_16k(void* arg) {
  (void)arg;
  deep(16);
  STORE(ran, 1);
  kthread_exit(0);
}
static void stack_holds_the_u_area(void) {
  STORE(ran, 0);
  KTC_CHECK_EQ(USPACE, 20 * 1024);
  KTC_CHECK_EQ(kthread_create(uses_16k, NULL, NULL, "deep"), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

/* semantics.md 10.13: the page gives no priority; threads run at the
 * kernel's default. */
static void priority_is_the_kernels(void) {
  struct proc* p = NULL;
  STORE(release, 0);
  KTC_CHECK_EQ(kthread_create(hold, NULL, &p, "prio"), 0);
  KTC_CHECK_EQ(kt_thread_priority(p->p_kt), KT_PRI_KERNEL);
  STORE(release, 1);
}

static const struct ktc_case cases[] = {
    {"the new process starts up executing func with argument arg; newpp is filled",
     starts_func_with_arg},
    {"newpp may be NULL; a NULL arg is passed as NULL", null_newpp_and_null_arg},
    {"name is used to name the process (at most MAXCOMLEN characters)", name_is_cut_at_maxcomlen},
    {"NULL func or name: EINVAL, nothing created", bad_input_is_einval},
    {"kernel threads run at the kernel's priority", priority_is_the_kernels},
    {"EAGAIN: the limit on the total number of system processes would be exceeded",
     limit_is_eagain},
    {"kthread_exit with a nonzero ecode prints a warning", exit_warns_on_nonzero_status},
    {"a func that returns is fatal", run_quitter, "returned from its function"},
    {"kthread_exit outside a kernel thread panics", exit_from_host_panics,
     "called from a host thread"},
    {"kthread_create_deferred: called back when the system is up, in order; a deferral "
     "made by a callback runs at once",
     deferred_run_when_the_system_is_up},
    {"the deferred callback may call kthread_create", deferred_callback_creates_a_thread},
    {"kthread_create_deferred(NULL) is fatal at registration", deferred_null_is_fatal,
     "NULL function"},
    {"deferred callbacks run in proc0's context: curproc is proc0 (NULL on a host thread)",
     deferred_callbacks_run_as_proc0},
    {"kthread_exit in proc0's context panics", kthread_exit_in_proc0_panics, "proc0's context"},
    {"kthread_create before the system is up panics: use kthread_create_deferred",
     create_before_boot_panics, "use kthread_create_deferred"},
    {"a kernel thread's stack holds its u-area (USPACE)", stack_holds_the_u_area},
};

KTC_MAIN("OpenBSD kthread(9)", cases)
