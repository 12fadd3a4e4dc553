// Virtual CPUs and the host threads that drive them.
//
// A Vcpu is a scheduling slot: run queues, timeouts, caches. A HostThread is
// a host (pthread) thread; normally each drives one Vcpu by running its loop
// (Vcpu::run_loop) on the host's own stack and jumping into kernel threads.
// A kernel thread that blocks in the host (kt_hostcall_enter) keeps its host
// thread and hands the Vcpu to a spare one, so the association can change:
// code running in a kernel thread must ask curvcpu() afresh after every
// switch.
//
// Idle protocol: an idle vCPU spins briefly, then publishes idle_ and
// re-checks its queues before waiting on wake_seq_ (a futex) until its next
// timeout. Whoever queues work for it bumps wake_seq_ and wakes it if idle_
// is set; both sides use seq_cst so one of them always sees the other.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/spinlock.h"
#include "core/runq.h"
#include "core/thread.h"
#include "core/timer.h"
#include "md/context.h"
#include "md/host_slot.h"
#include "md/stack.h"

namespace kt {

struct Vcpu;

// What the context that resumes next must do for the one that just switched
// away, once its registers are safely saved.
struct SwitchHook {
  enum Op : uint8_t {
    kNone,
    kRequeue,   // prev yielded: put it back on a run queue
    kUnlock,    // prev went to sleep holding its chain lock: release it
    kExit,      // prev exited: release its stack (and descriptor)
    kHostcall,  // prev returns from a host call: requeue it, this host retires
  };
  Op op = kNone;
  KThread* prev = nullptr;
  SpinLock* lock = nullptr;
};

struct KernelState;

struct HostThread {
  KThread* cur = nullptr;         // [h] kernel thread on this host thread; first (curthread())
  Vcpu* vcpu = nullptr;           // [h] the vCPU driven, nullptr in a host call or spare
  KernelState* kernel = nullptr;  // [I] the kernel that started it
  md::Fctx loop_ctx = nullptr;    // [h] the host's own context, suspended in run_loop
  md::FiberSan san;               // [h] the host's own stack
  SwitchHook hook;                // [h] set just before a jump, consumed just after
  // Spare pool: a spare waits on park_word for a vCPU to drive.
  std::atomic<uint32_t> park_word{0};
  std::atomic<Vcpu*> assigned{nullptr};
  HostThread* next_spare = nullptr;
  bool lent = false;  // a host-call thread, counted against max_hostcalls
};

static_assert(offsetof(HostThread, cur) == 0, "curthread() in core/thread.h reads cur at offset 0");

// host_self() reads the calling host thread's HostThread, afresh at every
// call: a kernel thread that migrated between two calls sees the new one.
inline HostThread* host_self() { return static_cast<HostThread*>(md::host_slot_load()); }
inline void host_set_self(HostThread* h) { md::host_slot_store(h); }

inline Vcpu* curvcpu() {
  HostThread* h = host_self();
  return h ? h->vcpu : nullptr;
}

struct alignas(64) Vcpu {
  // What every switch touches, on one line. Owned by the host thread driving
  // this vCPU, except the atomics, which other vCPUs may read (and
  // need_resched_ set).
  KThread* next_ = nullptr;       // [h] see below
  KernelState* kernel = nullptr;  // [I] (kern() costs a TLS read; hot paths use this)
  unsigned id = 0;                // [I]
  std::atomic<int> cur_pri_{RunQueue::kLevels};  // [a] priority running now
  std::atomic<bool> need_resched_{false};        // [a] preempt at the next point
  std::atomic<bool> slice_up_{false};            // [a] set by the clock with need_resched_
  std::atomic<uint32_t> nswitch_{0};             // [a] dispatches, written by the owner only
  std::atomic<uint64_t> next_deadline_{0};       // [a] mirror of timers_.earliest()
  // next_: the thread most recently woken by a thread of this vCPU, run
  // next unless something more urgent is queued (Go's runnext). It skips the
  // run queue's lock both ways in a ping-pong, and is not stealable, which
  // keeps a hand-off between two threads on the vCPU whose cache is warm.

  // Run queues: the leaf lock. Bound threads are kept apart so that idle
  // vCPUs can steal from rq_free_ without walking past them. nrun_ and
  // nrun_free_ mirror the queues' sizes for lock-free peeking (idle checks,
  // stealers); written only under runq_lock_, so plain stores suffice.
  alignas(64) SpinLock runq_lock_;
  std::atomic<uint32_t> nrun_{0};       // [a]
  std::atomic<uint32_t> nrun_free_{0};  // [a]
  RunQueue rq_bound_ KT_GUARDED_BY(runq_lock_);
  RunQueue rq_free_ KT_GUARDED_BY(runq_lock_);

  // Parking: written by whoever kicks this vCPU.
  alignas(64) std::atomic<uint32_t> wake_seq_{0};  // [a] futex word
  std::atomic<bool> idle_{false};                  // [a] parked or about to
  std::atomic<uint64_t> nsteal_{0};                // [a] threads taken from others

  // Timeouts of sleeps begun here.
  alignas(64) SpinLock timer_lock_;
  TimerHeap timers_ KT_GUARDED_BY(timer_lock_);

  // Caches, owned by the host thread driving this vCPU.
  md::StackCache stacks_;
  ThreadCache threads_;

  void run_loop(HostThread* h);
  void kick();  // wake if idle
};

// run_timers() ends the sleeps of this vCPU whose deadline has passed. Call
// with no spin lock held.
void run_timers(Vcpu* v);

}  // namespace kt
