/* The OpenBSD part: a driver attaching before the system is up, which
 * defers creating its thread with kthread_create_deferred. */
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

static void drv_create(void* arg) {
  (void)arg;
  if (kthread_create(drv_thread, NULL, &drvproc, "drv0") != 0) kthread_exit(1);
}

void ob_attach(void) { kthread_create_deferred(drv_create, NULL); }
void ob_detach(void) {
  __atomic_store_n(&detaching, 1, __ATOMIC_RELEASE);
  wakeup(&drvproc);
}
long ob_interrupts(void) { return __atomic_load_n(&interrupts, __ATOMIC_RELAXED); }
