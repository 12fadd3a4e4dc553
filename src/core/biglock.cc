#include "core/biglock.h"

#include "base/assert.h"
#include "base/spinlock.h"
#include "sync/sleepq.h"

namespace kt {
namespace {

struct BigLock {
  SpinLock lock;  // lock order: with the thread locks (level 3)
  KThread* owner KT_GUARDED_BY(lock) = nullptr;
};

BigLock kernel_lock;

}  // namespace

void biglock_acquire(KThread* t) {
  if (t->biglock_depth_ > 0) {
    t->biglock_depth_++;
    return;
  }
  kernel_lock.lock.lock();
  while (kernel_lock.owner != nullptr) {
    KT_ASSERT(kernel_lock.owner != t);
    sleep_interlocked(&kernel_lock, "kernlk", 0, 0, kernel_lock.lock);
  }
  kernel_lock.owner = t;
  kernel_lock.lock.unlock();
  t->biglock_depth_ = 1;
}

void biglock_release(KThread* t) {
  if (KT_UNLIKELY(t->biglock_depth_ <= 0))
    panic("kernel lock released by pid %d '%s', which does not hold it", t->pid_, t->name_);
  if (--t->biglock_depth_ > 0) return;
  {
    SpinGuard g(kernel_lock.lock);
    kernel_lock.owner = nullptr;
  }
  wakeup_n(&kernel_lock, 1);
}

bool biglock_held(const KThread* t) { return t && t->biglock_depth_ > 0; }

int biglock_release_all(KThread* t) {
  const int depth = t->biglock_depth_;
  if (depth == 0) return 0;
  t->biglock_depth_ = 1;
  biglock_release(t);
  return depth;
}

void biglock_reacquire(KThread* t, int depth) {
  if (depth == 0) return;
  biglock_acquire(t);
  t->biglock_depth_ = depth;
}

}  // namespace kt
