/* NetBSD kthread(9) from an installed kthreads: created, joined. */
#include <sys/kthread.h>
#include <sys/lwp.h>

static void body(void* ran) {
  __atomic_store_n((int*)ran, 1, __ATOMIC_RELEASE);
  kthread_exit(0);
}
int use_netbsd(int* ran) {
  lwp_t* l;
  const int e =
      kthread_create(PRI_NONE, KTHREAD_MPSAFE | KTHREAD_MUSTJOIN, NULL, body, ran, &l, "netbsd");
  return e ? e : kthread_join(l);
}
