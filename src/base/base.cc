// Futexes and the panic path.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/assert.h"
#include "base/futex.h"
#include "core/thread.h"

namespace kt {

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint64_t deadline_ns) {
  timespec ts;
  timespec* tsp = nullptr;
  if (deadline_ns != 0) {
    ts.tv_sec = time_t(deadline_ns / 1000000000u);
    ts.tv_nsec = long(deadline_ns % 1000000000u);
    tsp = &ts;
  }
  // FUTEX_WAIT_BITSET takes an absolute deadline, so a retry never stretches it.
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
          expected, tsp, nullptr, FUTEX_BITSET_MATCH_ANY);
}

void futex_wake(std::atomic<uint32_t>* word, int count) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count,
          nullptr, nullptr, 0);
}

void vpanic(const char* fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  char who[96];
  describe_current(who, sizeof who);
  fprintf(stderr, "panic: %s [%s]\n", msg, who);
  fflush(stderr);
  abort();
}

void panic(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vpanic(fmt, ap);
}

namespace detail {
void assert_failed(const char* expr, const char* file, int line, const char* fmt, ...) {
  if (fmt == nullptr) panic("assertion \"%s\" failed at %s:%d", expr, file, line);
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  panic("assertion \"%s\" failed at %s:%d: %s", expr, file, line, msg);
}
}  // namespace detail

}  // namespace kt
