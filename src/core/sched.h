// The scheduler: making threads runnable, choosing the next, switching.
//
// Fast paths, and the assumption behind each:
//   - setrunnable() queues on the thread's own vCPU (its last, or the one it
//     is bound to): in the common case the waker runs there too, so no other
//     vCPU is disturbed and the woken thread's cache is warm.
//   - sched_block() takes the next thread from this vCPU's queues and jumps
//     straight into it; only when they are empty does it return to the
//     vCPU's loop, which steals, waits for timeouts and parks.
// Nothing here allocates; the only locks are the per-vCPU run-queue locks.
#pragma once

#include "core/thread.h"
#include "core/vcpu.h"

namespace kt {

// setrunnable() queues a thread whose context is saved (or new). Any context.
// A thread woken on the caller's own vCPU runs next (Vcpu::next_); pass
// tail to queue it behind its equals instead (a yield, round robin).
void setrunnable(KThread* t, bool tail = false);

// sched_block() switches away from the current thread, whose state has
// already been set (sleeping, ...). If unlock is not null it is released by
// the next context, after this thread's registers are saved.
void sched_block(SpinLock* unlock);
// sched_block_release() is sched_block() for a caller holding l, which the
// next context releases on its behalf.
inline void sched_block_release(SpinLock& l) KT_RELEASE(l) KT_NO_THREAD_SAFETY_ANALYSIS {
  sched_block(&l);
}

// sched_yield() requeues the current thread behind its equals and runs the
// most urgent other thread, if any is at least as urgent.
void sched_yield();

// preempt() is a preemption point.
void preempt();

// sched_exit() leaves the current thread's stack for good.
[[noreturn]] void sched_exit(KThread* t);

// finish_switch() runs first in every resumed context.
void finish_switch(md::Transfer tr);

// Pick a vCPU for a new unbound thread created outside any vCPU.
Vcpu* pick_vcpu_for_new();

// TS class: recompute the priority of a time-sharing thread.
void ts_update(KThread* t);

}  // namespace kt
