// KernelState: the one booted instance, its configuration and its vCPUs.
#pragma once

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "base/spinlock.h"
#include "core/vcpu.h"
#include "kt/kernel.h"

namespace kt {

struct ShutdownRun;  // core/startup.h

struct KernelState {
  // Configuration [I].
  unsigned ncpu = 1;
  unsigned maxproc = KT_DEFAULT_MAXPROC;
  size_t stack_size = KT_DEFAULT_STACK;
  unsigned hz = 1000;
  uint64_t tick_ns = 1000000;
  uint64_t slice_ns = 10000000;
  unsigned slice_ticks = 10;
  unsigned max_hostcalls = 64;
  unsigned shutdown_wait_ms = 2000;
  FILE* console = stderr;
  uint64_t boot_ns = 0;

  Vcpu* vcpus = nullptr;          // [I] ncpu of them
  struct Clock* clock = nullptr;  // [I] set before the vCPUs start (core/clock.h)
  std::atomic<bool> stopping{false};
  std::atomic<unsigned> next_cpu{0};   // round robin for creation from host threads
  std::atomic<unsigned> nidle{0};      // vCPUs idle, a hint for waking stealers
  std::atomic<unsigned> nspinning{0};  // idle vCPUs spinning before they park
  unsigned max_spinning = 1;           // [I] the host's cores: spinners never outnumber them

  // Host threads: one per vCPU at boot, plus those lent to host calls.
  SpinLock host_lock;
  std::vector<std::thread> host_threads KT_GUARDED_BY(host_lock);
  std::vector<HostThread*> hosts KT_GUARDED_BY(host_lock);
  HostThread* spares KT_GUARDED_BY(host_lock) = nullptr;
  unsigned nlent KT_GUARDED_BY(host_lock) = 0;
  std::atomic<unsigned> running_hosts{0};

  // Shutdown: the handlers' run, and the chain of abandoned kernels (both
  // touched only by kt_shutdown's host thread).
  ShutdownRun* shutdown = nullptr;
  KernelState* abandoned_next = nullptr;

  Vcpu* vcpu(unsigned i) const { return &vcpus[i]; }
};

// kern() is the running kernel, or nullptr.
KernelState* kern();

// console_printf() prints on the kernel console (stderr by default).
void console_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace kt
