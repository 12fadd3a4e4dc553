/* OpenBSD kthread(9) from an installed kthreads. */
#include <sys/kthread.h>
#include <sys/proc.h>

static void body(void* ran) {
  __atomic_store_n((int*)ran, 1, __ATOMIC_RELEASE);
  kthread_exit(0);
}
int use_openbsd(int* ran) {
  struct proc* p;
  return kthread_create(body, ran, &p, "openbsd");
}
