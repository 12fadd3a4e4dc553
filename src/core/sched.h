// The scheduler: making threads runnable, choosing the next, switching.
//
// Fast paths, and the assumption behind each:
//   - setrunnable() queues on the thread's own vCPU (its last, or the one it
//     is bound to): in the common case the waker runs there too, so the
//     woken thread goes to the vCPU's next_ slot with plain stores, no other
//     vCPU is disturbed and the woken thread's cache is warm.
//   - sched_block() takes next_ when nothing else is queued (no lock at all)
//     and jumps straight into it; otherwise the most urgent queued thread;
//     only when there is none does it return to the vCPU's loop, which
//     steals, waits for timeouts and parks.
// Nothing here allocates; the only locks are the per-vCPU run-queue locks.
#pragma once

#include "core/thread.h"
#include "core/vcpu.h"

namespace kt {

// setrunnable() queues a thread whose context is saved (or new). Any context.
// A thread woken on the caller's own vCPU runs next (Vcpu::next_); pass
// tail to queue it behind its equals instead (a yield, round robin).
void setrunnable_slow(KThread* t, bool tail);
inline void setrunnable(KThread* t, bool tail = false) {
  // The hand-off tier: woken by a kernel thread of the vCPU it last ran on,
  // with next_ free and no priority to recompute.
  HostThread* h = host_self();
  Vcpu* self = h ? h->vcpu : nullptr;
  if (self && !tail && !self->next_ && t->sched_ != KT_SCHED_TS && h->cur &&
      (t->bound_ ? t->bound_ : t->vcpu_.load(std::memory_order_relaxed)) == self) {
    t->state_.store(ThreadState::kRunnable, std::memory_order_relaxed);
    self->next_ = t;
    if (t->pri_ < self->cur_pri_.load(std::memory_order_relaxed))
      self->need_resched_.store(true, std::memory_order_relaxed);
    return;
  }
  setrunnable_slow(t, tail);
}

// sched_block() and sched_block_release() (core/switch.h) switch away from
// a thread that has just gone to sleep.

// sched_yield() requeues the current thread behind its equals and runs the
// most urgent other thread, if any is at least as urgent. A no-op on a host
// thread.
void sched_yield();

// preempt() is a preemption point: it yields if a more urgent thread became
// runnable on this vCPU or the clock says the slice is used up (and another
// waits). Every kernel primitive passes one on its way out; the check is one
// load when nothing is asked.
void preempt_slow(HostThread* h);
inline void preempt() {
  HostThread* h = host_self();
  if (h && h->cur && h->vcpu && h->vcpu->need_resched_.load(std::memory_order_relaxed))
    preempt_slow(h);
}

// sched_exit() leaves the current thread's stack for good.
[[noreturn]] void sched_exit(KThread* t);

// finish_switch() runs first in every resumed context.
void finish_switch(md::Transfer tr);

// Pick a vCPU for a new unbound thread created outside any vCPU.
Vcpu* pick_vcpu_for_new();

// TS class: recompute the priority of a time-sharing thread.
void ts_update(KThread* t);

}  // namespace kt
