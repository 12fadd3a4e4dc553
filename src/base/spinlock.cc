// The contended half of SpinLock::lock().
#include "base/spinlock.h"

namespace kt {

void SpinLock::lock_contended() {
  do {
    for (unsigned i = 1; locked_.load(std::memory_order_relaxed); i++) {
      __builtin_ia32_pause();
      if ((i & (kSpinsBeforeYield - 1)) == 0) ::sched_yield();  // the host's, not kt::sched_yield
    }
  } while (locked_.exchange(true, std::memory_order_acquire));
}

}  // namespace kt
