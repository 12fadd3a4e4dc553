/* The AIX part: a worker made with thread_create (TSIDL) and started with
 * kthread_start on a data block copied to its stack. */
#include <kt/c/sleep.h>
#include <stdio.h>
#include <sys/thread.h>
#include <time.h>

#include "demo.h"

struct job {
  int rounds;
  int step;
};

static long result;
static int finished;
static tid_t worker_tid = -1;

static int worker(void* data) {
  struct job* j = (struct job*)data; /* the copy at the top of our stack */
  long sum = 0;
  for (int r = 0; r < j->rounds; r++) {
    for (int i = 0; i < 1000; i++) sum += (long)(i * j->step) % 7;
    kt_sleep(&result, "aixwork", 0, 5000000); /* 5 ms */
  }
  __atomic_store_n(&result, sum, __ATOMIC_RELAXED);
  __atomic_store_n(&finished, 1, __ATOMIC_RELEASE);
  return 0; /* returning terminates the thread */
}

void aix_start(void) {
  struct job j = {100, 3}; /* about half a second of work */
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

/* Waits (napping: this is a host thread) for the worker's answer, however
 * short the demo ran. */
long aix_result(void) {
  struct timespec ms = {0, 1000000};
  if (worker_tid == -1) return -1;
  while (!__atomic_load_n(&finished, __ATOMIC_ACQUIRE)) nanosleep(&ms, NULL);
  return __atomic_load_n(&result, __ATOMIC_RELAXED);
}
