// The demo kernel: one process, five faces. A FreeBSD buffer daemon from
// SYSINIT, an OpenBSD driver thread created deferred, a NetBSD worker pool
// bound to the vCPUs, a Plan 9 packet reader stopped by a note, and an AIX
// worker started on a data block; ps while they run, the shutdown at the end.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "demo.h"
#include "kt/kernel.h"

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 2.0;
  if (seconds <= 0 || seconds > 10) seconds = 2.0;
  setvbuf(stdout, nullptr, _IOLBF, 0);

  // Attaching before the system is up: OpenBSD defers its thread.
  ob_attach();

  kt_config cfg{};
  cfg.console = stdout;  // the kernel's messages in line with ours
  if (int rc = kt_boot(&cfg)) {
    fprintf(stderr, "kt_boot: error %d\n", rc);
    return 1;
  }
  printf("kthreads demo: %u vCPUs, up; bufdaemon started from SYSINIT, drv0 created deferred\n",
         kt_ncpu());
  nb_start();
  p9_start();
  aix_start();

  const auto half = std::chrono::duration<double>(seconds / 2);
  std::this_thread::sleep_for(half);
  printf("\n-- ps --\n");
  kt_ps(stdout);
  std::this_thread::sleep_for(half);

  printf("\n-- stopping --\n");
  p9_unbind();
  nb_stop();
  ob_detach();
  printf("freebsd: bufdaemon flushed %ld times\n", fb_flushes());
  printf("openbsd: drv0 took %ld interrupts\n", ob_interrupts());
  printf("netbsd: the pool did %ld items\n", nb_done());
  printf("plan9: ether0read read %ld packets\n", p9_packets());
  long rounds = 0;
  const long sum = aix_stop(&rounds);
  printf("aix: the worker computed %ld in %ld rounds\n", sum, rounds);

  printf("\n-- shutdown --\n");
  kt_shutdown(0);
  printf("halted\n");
  return 0;
}
