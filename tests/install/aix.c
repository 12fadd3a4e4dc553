/* AIX thread_create + kthread_start from an installed kthreads: the data
 * block arrives copied. */
#include <string.h>
#include <sys/thread.h>

static int* aix_ran;
static int body(void* data) {
  if (strcmp((const char*)data, "block") == 0) __atomic_store_n(aix_ran, 1, __ATOMIC_RELEASE);
  return 0;
}
int use_aix(int* ran) {
  aix_ran = ran;
  const tid_t t = thread_create();
  return t == -1 ? -1 : kthread_start(t, body, (void*)"block", 6, NULL, NULL);
}
