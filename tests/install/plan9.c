/* Plan 9 kproc(9) from an installed kthreads. */
#include <portdat.h>
#include <portfns.h>
#include <u.h>

static void body(void* ran) {
  __atomic_store_n((int*)ran, 1, __ATOMIC_RELEASE);
  pexit("", 1);
}
int use_plan9(int* ran) {
  kproc("plan9", body, ran);
  return 0;
}
