/*
 * The example of FreeBSD kthread(9), compiled and run as the page writes it
 * (SYSINIT with no semicolon, buf_daemon() with no prototype in its
 * definition): a buffer daemon started by kproc_start from SYSINIT, checking
 * for suspension in its loop, suspended by kproc_shutdown at shutdown. The
 * page elides parts with "..."; the lines standing in for them are marked,
 * and so is the forward declaration the real vfs_bio.c has.
 */
#include <kt/c/thread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventhandler.h>
#include <sys/kernel.h>
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include "ktc.h"

static void buf_daemon(void);   /* vfs_bio.c */
static int bd_request;          /* ... */
static int loops;               /* ... */
static struct proc* seen_first; /* ... */

/* The page, from here: */
/* clang-format off */
static struct proc *bufdaemonproc;

static struct kproc_desc buf_kp = {
	"bufdaemon",
	buf_daemon,
	&bufdaemonproc
};
SYSINIT(bufdaemon, SI_SUB_KTHREAD_BUF, SI_ORDER_FIRST, kproc_start,
    &buf_kp)

static void
buf_daemon()
{
	seen_first = bufdaemonproc; /* ...: valid from the first instruction */
	/*
	 * This process needs to be suspended prior to shutdown sync.
	 */
	EVENTHANDLER_REGISTER(shutdown_pre_sync, kproc_shutdown,
	    bufdaemonproc, SHUTDOWN_PRI_LAST);
	for (;;) {
		kthread_suspend_check(bufdaemonproc);
		__atomic_fetch_add(&loops, 1, __ATOMIC_RELEASE); /* ... */
		tsleep(&bd_request, PRIBIO, "psleep", hz / 100); /* ... */
	}
}
/* clang-format on */
/* (to here) */

/*
 * SYSINIT(9): records run in subsystem order at boot, in proc0's context
 * (semantics.md 3.10). Registered out of order here, and written with the
 * semicolon most code puts after SYSINIT, which compiles as well.
 */
static char boot_trace[8];
static struct proc* sysinit_curproc;
static void trace(const void* c) {
  if (*(const char*)c == 'i') { /* the first record of every boot */
    boot_trace[0] = '\0';
    sysinit_curproc = curproc;
    /* This boot's daemon has not run yet: a case waits for its loops. */
    __atomic_store_n(&loops, 0, __ATOMIC_RELEASE);
    seen_first = NULL;
  }
  strncat(boot_trace, (const char*)c, sizeof boot_trace - strlen(boot_trace) - 1);
}
SYSINIT(t_root, SI_SUB_ROOT_CONF, SI_ORDER_FIRST, trace, "r");
SYSINIT(t_drivers, SI_SUB_DRIVERS, SI_ORDER_FIRST, trace, "d");
SYSINIT(t_init, SI_SUB_KTHREAD_INIT, SI_ORDER_FIRST, trace, "k");
SYSINIT(t_intrinsic, SI_SUB_INTRINSIC, SI_ORDER_FIRST, trace, "i")

static int running(void* p) {
  (void)p;
  return __atomic_load_n(&loops, __ATOMIC_ACQUIRE) > 2;
}

static void started_by_sysinit_with_its_global_set(void) {
  KTC_CHECK(ktc_wait(running, NULL));
  KTC_CHECK(bufdaemonproc != NULL);
  KTC_CHECK(seen_first == bufdaemonproc);
  KTC_CHECK(strcmp(bufdaemonproc->p_comm, "bufdaemon") == 0);
}

static void suspended_by_kproc_shutdown(void) {
  KTC_CHECK(ktc_wait(running, NULL));
  ktc_shutdown();
  const char* out = ktc_console();
  KTC_CHECK(
      strstr(out, "Waiting (max 60 seconds) for system process `bufdaemon' to stop...stopped\n") !=
      NULL);
  KTC_CHECK(strstr(out, "left pid") != NULL && strstr(out, "'bufdaemon' suspended") != NULL);
}

/* A daemon that never checks: kproc_shutdown gives up after its wait. */
static struct proc* deafproc;
static void deaf(void* arg) {
  (void)arg;
  EVENTHANDLER_REGISTER(shutdown_pre_sync, kproc_shutdown, deafproc, SHUTDOWN_PRI_FIRST);
  for (;;) tsleep(&deafproc, PRIBIO, "deaf", hz / 100);
}
static void timed_out_when_never_checked(void) {
  kproc_shutdown_wait = 1;
  KTC_CHECK_EQ(kthread_create(deaf, NULL, &deafproc, 0, 0, "deafdaemon"), 0);
  while (kt_thread_state(deafproc->p_kt) != KT_SLEEPING) sched_yield();
  ktc_shutdown();
  kproc_shutdown_wait = 60;
  KTC_CHECK(
      strstr(ktc_console(),
             "Waiting (max 1 seconds) for system process `deafdaemon' to stop...timed out\n") !=
      NULL);
}

static void sysinits_run_in_subsystem_order_as_proc0(void) {
  KTC_CHECK(strcmp(boot_trace, "idrk") == 0);
  KTC_CHECK(sysinit_curproc == &proc0);
  KTC_CHECK_EQ(SI_SUB_INTRINSIC, 0x2200000); /* proc 0: before drivers, not after root */
}

static void shutdown_handlers_deregister(void) {
  eventhandler_tag tag =
      EVENTHANDLER_REGISTER(shutdown_post_sync, kproc_shutdown, NULL, SHUTDOWN_PRI_DEFAULT);
  KTC_CHECK(tag != NULL);
  EVENTHANDLER_DEREGISTER(shutdown_post_sync, tag); /* else kproc_shutdown(NULL) panics */
  ktc_shutdown();
  KTC_CHECK(strstr(ktc_console(), "panic") == NULL);
}

static const struct ktc_case cases[] = {
    {"kproc_start from SYSINIT starts the daemon; global_procpp is set before it runs",
     started_by_sysinit_with_its_global_set},
    {"kproc_shutdown suspends it at shutdown: Waiting ... stopped", suspended_by_kproc_shutdown},
    {"a daemon that never checks: kproc_shutdown times out", timed_out_when_never_checked},
    {"EVENTHANDLER_DEREGISTER removes a handler", shutdown_handlers_deregister},
    {"SYSINIT: by subsystem (SI_SUB_INTRINSIC, proc 0, comes early), in proc0's context",
     sysinits_run_in_subsystem_order_as_proc0},
};

KTC_MAIN("FreeBSD kthread(9): the bufdaemon example", cases)
