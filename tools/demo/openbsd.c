/* The OpenBSD part: a driver attaching before the system is up, which
 * defers creating its thread with kthread_create_deferred. */
#include <stdio.h>
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include "demo.h"

static struct proc* drvproc;
static long interrupts;
static int detaching;

static void drv_thread(void* arg) {
  (void)arg;
  while (!__atomic_load_n(&detaching, __ATOMIC_ACQUIRE)) {
    tsleep(&drvproc, PWAIT, "drvintr", hz / 20); /* an interrupt every 50 ms */
    __atomic_fetch_add(&interrupts, 1, __ATOMIC_RELAXED);
  }
  kthread_exit(0);
}

/* Runs in proc0's context once the system is up: it creates the thread,
 * and on failure the driver stays detached (it must not kthread_exit: it is
 * not a kernel thread of its own). */
static void drv_create(void* arg) {
  int error;
  (void)arg;
  if ((error = kthread_create(drv_thread, NULL, &drvproc, "drv0")) != 0)
    printf("drv0: unable to create the interrupt thread: error %d\n", error);
}

void ob_attach(void) { kthread_create_deferred(drv_create, NULL); }
void ob_detach(void) {
  __atomic_store_n(&detaching, 1, __ATOMIC_RELEASE);
  wakeup(&drvproc);
}
long ob_interrupts(void) { return __atomic_load_n(&interrupts, __ATOMIC_RELAXED); }
