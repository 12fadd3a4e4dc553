// Start-up and shutdown sequencing, run by kt_boot and kt_shutdown.
#pragma once

namespace kt {

// startup_run() runs the registered start-up functions, then the deferred
// queue, in a kernel thread; kt_boot calls it once the vCPUs run.
void startup_run();
// shutdown_run() runs the shutdown handler lists in a kernel thread.
void shutdown_run(int howto);

}  // namespace kt
