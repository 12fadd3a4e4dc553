/* The AIX part: a worker made with thread_create (TSIDL) and started with
 * kthread_start on a data block copied to its stack. */
#include <sys/thread.h>

#include <kt/c/sleep.h>
#include <stdio.h>

#include "demo.h"

struct job {
  int rounds;
  int step;
};

static long result;

static int worker(void* data) {
  struct job* j = (struct job*)data; /* the copy at the top of our stack */
  long sum = 0;
  for (int r = 0; r < j->rounds; r++) {
    for (int i = 0; i < 1000; i++) sum += (long)(i * j->step) % 7;
    kt_sleep(&result, "aixwork", 0, 5000000); /* 5 ms */
  }
  __atomic_store_n(&result, sum, __ATOMIC_RELEASE);
  return 0; /* returning terminates the thread */
}

void aix_start(void) {
  struct job j = {300, 3}; /* about 1.5 s of work */
  tid_t tid = thread_create();
  if (tid == -1) {
    printf("aix: thread_create: error %d\n", getuerror());
    return;
  }
  int rc = kthread_start(tid, worker, &j, sizeof j, NULL, NULL);
  if (rc != 0) printf("aix: kthread_start: error %d\n", rc);
}

long aix_result(void) { return __atomic_load_n(&result, __ATOMIC_ACQUIRE); }
