// kt::Kernel: a booted kthreads kernel for the lifetime of the object.
//
//   kt::Kernel k({.ncpu = 4});   // boots; throws kt::Error on failure
//   ...                          // create threads from any host thread
//   // ~Kernel shuts down: handlers run, leftovers are reported and freed
#pragma once

#include <chrono>
#include <cstdio>

#include "kt/error.hpp"
#include "kt/kernel.h"

namespace kt {

struct Config {
  unsigned ncpu = 0;                           // 0: the host's cores
  unsigned maxproc = 0;                        // 0: KT_DEFAULT_MAXPROC
  size_t stack_size = 0;                       // 0: KT_DEFAULT_STACK
  unsigned hz = 0;                             // 0: 1000
  unsigned slice_ticks = 0;                    // 0: 10
  unsigned max_hostcalls = 0;                  // 0: 64
  std::chrono::milliseconds shutdown_wait{0};  // 0: 2 s
  FILE* console = nullptr;                     // nullptr: stderr

  kt_config to_c() const {
    kt_config c{};
    c.ncpu = ncpu;
    c.maxproc = maxproc;
    c.stack_size = stack_size;
    c.hz = hz;
    c.slice_ticks = slice_ticks;
    c.max_hostcalls = max_hostcalls;
    c.shutdown_wait_ms = unsigned(shutdown_wait.count());
    c.console = console;
    return c;
  }
};

class Kernel {
 public:
  // Kernel() boots. Throws Error(EBUSY) if a kernel is up, Error(EINVAL)
  // for a bad configuration.
  explicit Kernel(const Config& cfg = {}) {
    const kt_config c = cfg.to_c();
    check(kt_boot(&c), "kt::Kernel: boot failed");
  }
  ~Kernel() { kt_shutdown(howto_); }
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // shutdown_howto() sets what the destructor passes to the handlers.
  void shutdown_howto(int howto) { howto_ = howto; }

  static unsigned ncpu() { return kt_ncpu(); }
  static unsigned hz() { return kt_hz(); }
  static void ps(FILE* out = stdout) { kt_ps(out); }

 private:
  int howto_ = 0;
};

}  // namespace kt
