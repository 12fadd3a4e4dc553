// The big kernel lock. A thread created without KT_MPSAFE holds it whenever
// it runs: it is taken before the thread's first instruction, given up
// entirely whenever the thread switches out (sleep or yield) and taken back
// before the thread continues. MPSAFE threads may take it explicitly. It is
// recursive for its owner, and a sleeping lock: waiters sleep on its wchan.
#pragma once

#include "core/thread.h"

namespace kt {

void biglock_acquire(KThread* t);  // one more level for t
void biglock_release(KThread* t);  // one level less
bool biglock_held(const KThread* t);

// Around a switch: give up every level, then take them all back.
int biglock_release_all(KThread* t);
void biglock_reacquire(KThread* t, int depth);

}  // namespace kt
