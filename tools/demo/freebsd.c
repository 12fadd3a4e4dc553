/* The FreeBSD part: the bufdaemon example of kthread(9), as the page writes
 * it (lines standing in for the page's "..." are marked). */
#include <sys/eventhandler.h>
#include <sys/kernel.h>
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include "demo.h"

static void buf_daemon(void); /* as vfs_bio.c declares it */
static long flushes;          /* ... */
static int bd_request;        /* ... */

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
	/*
	 * This process needs to be suspended prior to shutdown sync.
	 */
	EVENTHANDLER_REGISTER(shutdown_pre_sync, kproc_shutdown,
	    bufdaemonproc, SHUTDOWN_PRI_LAST);
	for (;;) {
		kthread_suspend_check(bufdaemonproc);
		/* ...: flush dirty buffers, ten times a second */
		__atomic_fetch_add(&flushes, 1, __ATOMIC_RELAXED);
		tsleep(&bd_request, PRIBIO, "psleep", hz / 10);
	}
}
/* clang-format on */

long fb_flushes(void) { return __atomic_load_n(&flushes, __ATOMIC_RELAXED); }
