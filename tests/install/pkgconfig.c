/* Built with `pkg-config --cflags --libs kthreads` alone. */
#include <kt/c/thread.h>
#include <kt/kernel.h>
#include <stdio.h>

static void body(void* ran) { __atomic_store_n((int*)ran, 1, __ATOMIC_RELEASE); }
int main(void) {
  int ran = 0;
  struct kt_thread_attr a = {0};
  kt_tid_t t;
  if (kt_boot(NULL) != 0) return 1;
  a.name = "pc";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  if (kt_thread_create(&a, body, &ran, &t) != 0 || kt_thread_join(t, NULL) != 0) return 1;
  kt_shutdown(0);
  printf("pkg-config: %s\n", ran ? "ran" : "did not run");
  return ran ? 0 : 1;
}
