/* The AIX part: a worker made with thread_create (TSIDL) and started with
 * kthread_start on a data block copied to its stack. */
#include <kt/c/sleep.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/thread.h>
#include <time.h>

#include "demo.h"

struct job {
  int step;
  int pause_ms;
};

static long result, rounds;
static int stop, finished;
static tid_t worker_tid = -1;

/* A round of work every few milliseconds until the demo stops it. */
static int worker(void* data) {
  struct job* j = (struct job*)data; /* the copy at the top of our stack */
  long sum = 0, r = 0;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    for (int i = 0; i < 1000; i++) sum += (long)(i * j->step) % 7;
    r++;
    kt_sleep(&stop, "aixwork", 0, (uint64_t)j->pause_ms * 1000000);
  }
  __atomic_store_n(&result, sum, __ATOMIC_RELAXED);
  __atomic_store_n(&rounds, r, __ATOMIC_RELAXED);
  __atomic_store_n(&finished, 1, __ATOMIC_RELEASE);
  return 0; /* returning terminates the thread */
}

void aix_start(void) {
  struct job j = {3, 5};
  tid_t tid = thread_create();
  if (tid == -1) {
    printf("aix: thread_create: error %d\n", getuerror());
    return;
  }
  int rc = kthread_start(tid, worker, &j, sizeof j, NULL, NULL);
  if (rc != 0) {
    printf("aix: kthread_start: error %d\n", rc);
    return;
  }
  worker_tid = tid;
}

/* Stops the worker and waits (napping: this is a host thread) for its
 * answer. */
long aix_stop(long* nrounds) {
  struct timespec ms = {0, 1000000};
  if (worker_tid == -1) return -1;
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  kt_wakeup(&stop);
  while (!__atomic_load_n(&finished, __ATOMIC_ACQUIRE)) nanosleep(&ms, NULL);
  *nrounds = __atomic_load_n(&rounds, __ATOMIC_RELAXED);
  return __atomic_load_n(&result, __ATOMIC_RELAXED);
}
