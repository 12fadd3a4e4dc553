// Start-up and shutdown sequencing, run by kt_boot and kt_shutdown.
#pragma once

#include <cstdint>
#include <cstdio>

#include "kt/c/thread.h"

namespace kt {

// startup_run() runs the registered start-up functions, then the deferred
// queue, in a kernel thread; kt_boot calls it once the vCPUs run.
void startup_run();

// One run of the shutdown handler lists, in the kernel thread "shutdown".
// kt_shutdown starts it, waits for it with a deadline, reports how far it
// got, and finishes it once the vCPUs are stopped:
//
//   r = shutdown_start(howto); done = shutdown_wait(r, deadline);
//   ... stop the vCPUs ...; if (!done) shutdown_report(r, ...);
//   shutdown_finish(r, abandoned);
struct ShutdownRun;
ShutdownRun* shutdown_start(int howto);
// shutdown_wait() is true once every handler has returned, false when the
// absolute CLOCK_MONOTONIC deadline passes first.
bool shutdown_wait(ShutdownRun* r, uint64_t deadline);
// shutdown_thread() is the handle of the thread running the handlers.
kt_tid_t shutdown_thread(const ShutdownRun* r);
// shutdown_report() says which handler did not return and how many never ran.
void shutdown_report(ShutdownRun* r, FILE* out, unsigned waited_ms);
// shutdown_finish() forgets this kernel's handlers and deferrals and calls
// no handler more. With abandoned set, the thread "shutdown" may still run
// in the abandoned kernel: r and the handler records are left to it.
void shutdown_finish(ShutdownRun* r, bool abandoned);

}  // namespace kt
