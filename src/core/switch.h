// The switch itself, inline for the paths that block (sched.cc, sleepq.cc):
// choosing the next context and jumping into it. Internal to src/core and
// src/sync.
#pragma once

#include "base/assert.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/vcpu.h"
#include "md/context.h"
#include "md/stack.h"

namespace kt {

KThread* pick_next_slow(Vcpu* v);
void finish_switch_hook(HostThread* h);

// finish_switch_inline() is finish_switch() for the switch sites: the common
// case, a sleeper's chain lock to release, stays inline.
[[gnu::always_inline]] inline void finish_switch_inline(md::Transfer tr) {
  HostThread* h = host_self();
  md::san_after(h->cur ? &h->cur->san_ : &h->san);
  if (auto* from = static_cast<KThread*>(tr.data))
    from->ctx_ = tr.from;
  else
    h->loop_ctx = tr.from;
  if (h->hook.op == SwitchHook::kUnlock) {
    h->hook.op = SwitchHook::kNone;
    // The lock was taken by the thread that switched away; the analysis
    // cannot follow a lock across stacks.
    [&]() KT_NO_THREAD_SAFETY_ANALYSIS { h->hook.lock->unlock(); }();
  } else if (h->hook.op != SwitchHook::kNone) {
    finish_switch_hook(h);
  }
}

// pick_next() chooses what this vCPU runs next, or nullptr (its loop). The
// tiers: next_ alone (no lock at all: the hand-off between two threads of
// one vCPU), else the queues. Whatever runs next was chosen knowing the
// queue, so a request to reschedule made before is spent.
inline KThread* pick_next(Vcpu* v) {
  if (KT_UNLIKELY(v->kernel->stopping.load(std::memory_order_relaxed))) return nullptr;
  v->need_resched_.store(false, std::memory_order_relaxed);
  if (v->nrun_.load(std::memory_order_relaxed) == 0) {
    KThread* n = v->next_;
    v->next_ = nullptr;
    return n;
  }
  return pick_next_slow(v);
}

// switch_to() leaves prev (the current thread, or the vCPU loop when null)
// for next (a thread, or the loop when null). op and lock tell the context
// that resumes what to do for prev once prev's registers are saved; it runs
// finish_switch() first thing.
[[gnu::always_inline]] inline void switch_to(HostThread* h, Vcpu* v, KThread* prev, KThread* next,
                                             SwitchHook::Op op, SpinLock* lock, bool dying) {
  md::FiberSan* from = prev ? &prev->san_ : &h->san;
  md::FiberSan* to = next ? &next->san_ : &h->san;
  const md::Fctx target = next ? next->ctx_ : h->loop_ctx;
  KT_ASSERT(target != nullptr);
  if (prev && KT_UNLIKELY(md::stack_needs_canary(prev->stack_)) &&
      KT_UNLIKELY(!md::stack_canary_ok(prev->stack_)))
    panic("kernel thread pid %d '%s' overflowed its %zu-byte stack (canary smashed)", prev->pid_,
          prev->name_, prev->stack_.size);
  h->hook.op = op;
  h->hook.prev = prev;
  h->hook.lock = lock;
  h->cur = next;
  // A new slice: the clock counts its ticks from the last dispatch.
  v->nswitch_.store(v->nswitch_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (next) {
    v->cur_pri_.store(next->pri_, std::memory_order_relaxed);
    next->vcpu_.store(v, std::memory_order_relaxed);
    next->state_.store(ThreadState::kRunning, std::memory_order_relaxed);
  } else {
    v->cur_pri_.store(RunQueue::kLevels, std::memory_order_relaxed);
  }
  md::san_before(from, to, dying);
  finish_switch_inline(md::jump(target, prev));
}

// sched_block() switches away from t, the current thread of host thread h,
// whose state has already been set (sleeping, ...). If unlock is not null it
// is released by the next context, after t's registers are saved.
[[gnu::always_inline]] inline void sched_block(HostThread* h, KThread* t, SpinLock* unlock) {
  Vcpu* v = h->vcpu;
  KT_ASSERT_MSG(v != nullptr && h->cur == t, "sched_block without a vCPU or for another thread");
  switch_to(h, v, t, pick_next(v), unlock ? SwitchHook::kUnlock : SwitchHook::kNone, unlock, false);
}

// sched_block_release() is sched_block() for a caller holding l, which the
// next context releases on its behalf.
[[gnu::always_inline]] inline void sched_block_release(HostThread* h, KThread* t, SpinLock& l)
    KT_RELEASE(l) KT_NO_THREAD_SAFETY_ANALYSIS {
  sched_block(h, t, &l);
}

}  // namespace kt
