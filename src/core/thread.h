// KThread: the kernel-thread descriptor, and the process table that owns them.
//
// Descriptors are type-stable: they live in slabs that are never unmapped,
// so a stale pointer (a face's struct proc *, a timer entry, a note poster)
// always points at some KThread, and the generation in gen_ says whether it is
// still the one it named. A kt_tid_t is (gen << 32 | index + 1).
//
// Lock legend for the members:
//   [I] immutable while the descriptor is allocated
//   [a] atomic
//   [c] the sleep-queue chain lock of slp_.wchan
//   [h] owned by the host thread running it (or the vCPU whose runq holds it)
//   [l] lock_
//   [t] the timer lock of timer_vcpu_
#pragma once

#include <atomic>
#include <cstdint>

#include "base/list.h"
#include "base/spinlock.h"
#include "core/unwind.h"
#include "kt/c/thread.h"
#include "kt/kernel.h"
#include "md/context.h"
#include "md/host_slot.h"
#include "md/stack.h"
#include "sync/sleepq.h"

namespace kt {

struct Vcpu;

enum class ThreadState : uint8_t {
  kFree = KT_FREE,
  kIdle = KT_IDLE_STATE,
  kRunnable = KT_RUNNABLE,
  kRunning = KT_RUNNING,
  kSleeping = KT_SLEEPING,
  kSuspended = KT_SUSPENDED,
  kBroken = KT_BROKEN,
  kZombie = KT_ZOMBIE,
  kHostcall = KT_HOSTCALL,
};
const char* to_string(ThreadState s);

inline constexpr uint32_t kThreadMagic = 0x6b746872;  // "kthr"
inline constexpr uint32_t kFreeMagic = 0x66726565;    // "free"
inline constexpr size_t kFaceAreaSize = 248;          // KT_FACE_AREA

struct KThread {
  uint32_t magic_ = kFreeMagic;                         // [a-ish] checked on every handle lookup
  std::atomic<uint32_t> gen_{1};                        // [a] bumped (under lock_) when freed
  uint32_t index_ = 0;                                  // [I] slot in the process table
  int pid_ = 0;                                         // [I]
  struct KernelState* kernel_ = nullptr;                // [I] the kernel it was created in
  std::atomic<ThreadState> state_{ThreadState::kFree};  // [a] for ps; transitions below

  // Scheduling.
  ListNode rq_link_;                  // [h] run queue link
  KThread* free_next_ = nullptr;      // the process table's free list, while free
  uint8_t pri_ = KT_PRI_KERNEL;       // [h] current priority
  uint8_t base_pri_ = KT_PRI_KERNEL;  // [h]
  uint8_t sched_ = KT_SCHED_RR;       // [I]
  unsigned flags_ = 0;                // [I] enum kt_thread_flags
  Vcpu* bound_ = nullptr;             // [I] the only vCPU it may run on
  std::atomic<Vcpu*> vcpu_{nullptr};  // [a] where it runs, or last ran / is queued
  uint32_t estcpu_ = 0;               // [h] KT_SCHED_TS: recent CPU use, in ticks
  uint64_t slept_at_ = 0;             // [h] KT_SCHED_TS: when it went to sleep

  // Machine state.
  md::Fctx ctx_ = nullptr;     // [h] where it is suspended
  md::Stack stack_;            // [I]
  size_t stack_nominal_ = 0;   // [I] the size introspection reports (see attach_stack)
  md::FiberSan san_;           // [h]
  uintptr_t unwind_stop_ = 0;  // [I] CFA of enter() (lifecycle.cc): exit unwinds to here
  char* entry_sp_ = nullptr;   // [I] where the first frame goes (below carved data)
  alignas(16) unsigned char exit_unwind_[kUnwindBufSize];  // [h] exit's unwind (core/unwind.h)

  // Sleeping.
  Sleeper slp_;
  std::atomic<const char*> wmesg_{nullptr};  // [a] what ps shows while asleep
  std::atomic<uint32_t> intr_pending_{0};    // [a] interrupts not yet consumed

  // The timeout of the current sleep.
  int32_t timer_idx_ = -1;      // [t] position in the heap, -1 when unarmed
  uint32_t timer_seq_ = 0;      // [t] slp_.seq when armed
  uint64_t deadline_ = 0;       // [t]
  Vcpu* timer_vcpu_ = nullptr;  // [h] whose heap holds the timer

  // Life cycle: join and exit.
  SpinLock lock_;
  bool joiner_ KT_GUARDED_BY(lock_) = false;            // a joiner has registered
  Sleeper* joiner_slp_ KT_GUARDED_BY(lock_) = nullptr;  // where the joiner waits
  bool detached_ KT_GUARDED_BY(lock_) = false;          // joinable, but nobody will join
  bool exiting_ KT_GUARDED_BY(lock_) = false;           // past the point of no return
  bool launching_ KT_GUARDED_BY(lock_) = false;         // a reserved thread being launched
  bool startable_ KT_GUARDED_BY(lock_) = false;         // KT_IDLE, context made: start may run it
  int exit_code_ KT_GUARDED_BY(lock_) = 0;

  // Entry.
  void (*entry_)(void*) = nullptr;     // [I]
  void* arg_ = nullptr;                // [I]
  void (*on_return_)(void) = nullptr;  // [I]

  // The big kernel lock: depth of this thread's holds (own use only).
  int biglock_depth_ = 0;  // [h]
  int biglock_saved_ = 0;  // [h] depth given up while switched out

  // Suspension (FreeBSD): the request, and the channel both sides sleep on.
  // Written under lock_; atomic for kt_suspend_check's unlocked peek.
  std::atomic<bool> susp_req_{false};

  // Notes (Plan 9): allocated at the first post, kept with the descriptor.
  struct NoteQueue* notes_ KT_GUARDED_BY(lock_) = nullptr;

  // Signals (AIX): pending and blocked sets, bit sig-1.
  std::atomic<uint64_t> sigpending_{0};  // [a]
  std::atomic<uint64_t> sigmask_{0};     // [a] written by the thread itself

  // Plan 9 waiting: the qlock FIFO and the rendezvous table link through
  // their waiters; both are guarded by the lock of the queue they are on.
  KThread* ql_next_ = nullptr;
  bool ql_handed_ = false;  // woken by a hand-off, not by an interrupt
  uintptr_t rv_tag_ = 0;
  uintptr_t rv_val_ = 0;
  KThread* rv_next_ = nullptr;
  bool rv_done_ = false;  // a partner took our value and left its own

  // FPU sections (NetBSD): how many are open.
  int fpu_depth_ = 0;  // [h]

  char name_[KT_MAXCOMLEN + 1] = {};  // [I] published before the first run

  // Per-face state (a face's struct proc, lwp, Proc, error stack...). Zeroed
  // at creation for the face that creates the thread (kt_thread_attr.init);
  // the face owns its layout.
  alignas(64) unsigned char face_[kFaceAreaSize] = {};
  // Which face made the thread (enum kt_face, kt/c/face.h); 0 for none.
  // Cleared when the slot is reused, so a gone thread keeps it until then.
  std::atomic<uint32_t> face_owner_{0};  // [a]

  kt_tid_t tid() const {
    return (uint64_t(gen_.load(std::memory_order_relaxed)) << 32) | (uint64_t(index_) + 1);
  }
  bool mpsafe() const { return flags_ & KT_MPSAFE; }
  bool joinable() const { return flags_ & KT_JOINABLE; }
};

// A vCPU's cache of free descriptors and of maxproc credit; owned by that
// vCPU, no lock (but credit, which a starved creator may reclaim).
struct ThreadCache {
  static constexpr unsigned kMax = 64;  // a power of two
  static constexpr int kPidBatch = 64;
  static constexpr int kCreditBatch = 32;
  // Free descriptors, reused oldest first (a ring): a freed slot goes back
  // into use only after the others, so that a stale struct proc * or lwp_t *
  // into it is recognised as gone (ESRCH) for as long as possible.
  KThread* t[kMax];
  unsigned head = 0;   // oldest entry
  unsigned count = 0;  // entries from head on
  // pids are taken from the table kPidBatch at a time, so that creation on
  // several vCPUs does not bounce the table's counter line for every pid.
  int pid_next = 0;
  int pid_end = 0;
  // Slots of maxproc this vCPU has reserved and not used, taken from the
  // table kCreditBatch at a time for the same reason; a creator that finds
  // the table exhausted takes back what the others hold before it fails.
  std::atomic<int> credit{0};
  ThreadCache* next_holder = nullptr;  // [table lock] caches that may hold credit
  bool holder = false;                 // [table lock] on that list
};
void thread_cache_drain(ThreadCache* c);

// The process table: slabs of descriptors, pid allocation and the maxproc
// count. Descriptors are handed out from per-vCPU caches on the fast path.
namespace proctab {

inline constexpr unsigned kSlabSize = 1024;
inline constexpr unsigned kMaxSlabs = 4096;  // 4M descriptors

// KThread lookup by handle: nullptr unless t names a live descriptor.
KThread* lookup(kt_tid_t t);
// Descriptor at a raw address (a face's pointer): nullptr unless it is one
// of ours and allocated.
KThread* from_address(const void* p);
// slot_at() is the descriptor containing p, allocated or not, or nullptr.
KThread* slot_at(const void* p);

// alloc() takes a descriptor (from cache, which may be null, else the pool)
// and a pid, counting it against maxproc: nullptr and *err = EAGAIN/ENOMEM.
// A kernel's own threads (start-up, shutdown) are exempt from maxproc, as
// root is from FreeBSD's last slots: taking a kernel down must never fail.
KThread* alloc(ThreadCache* cache, int* err, bool exempt = false);
// alloc_high() is alloc() for a KT_HIGHPID thread: a pid of at least 10,
// taken without moving the pid cursor (FreeBSD RFHIGHPID).
KThread* alloc_high(ThreadCache* cache, int* err, bool exempt = false);
// free() retires the descriptor: its handle goes stale at once. It is
// retire_locked() (under t->lock_: the handle goes stale) then release()
// (the slot goes back to cache, or the pool), for callers that hold lock_.
void free(KThread* t, ThreadCache* cache);
void retire_locked(KThread* t) KT_REQUIRES(t->lock_);
void release(KThread* t, ThreadCache* cache);

void set_maxproc(unsigned n);
// nprocs() counts the live descriptors (a racy snapshot, for tests and ps).
unsigned nprocs();

// for_each() visits every allocated descriptor (racy snapshot, for ps and
// shutdown).
template <typename F>
void for_each(F&& f);

// Internal: slab access for for_each.
unsigned nslabs();
KThread* slab(unsigned i);

}  // namespace proctab

template <typename F>
void proctab::for_each(F&& f) {
  const unsigned n = nslabs();
  for (unsigned i = 0; i < n; i++) {
    KThread* s = slab(i);
    for (unsigned j = 0; j < kSlabSize; j++)
      if (s[j].state_.load(std::memory_order_acquire) != ThreadState::kFree) f(&s[j]);
  }
}

// with_live() calls f(t) with t's lock_ held if tid still names a live
// thread under that lock, and says whether it did. A handle checked only
// before taking the lock may name a descriptor already retired and handed
// to another thread (proctab::free moves the generation under lock_). f
// starts with t->lock_.assert_held(): the analysis sees a lambda apart from
// the guard that holds the lock for it.
template <typename F>
bool with_live(kt_tid_t tid, F&& f) {
  KThread* t = proctab::lookup(tid);
  if (!t) return false;
  SpinGuard g(t->lock_);
  if (t->tid() != tid || t->state_.load(std::memory_order_relaxed) == ThreadState::kFree)
    return false;
  f(t);
  return true;
}

// Who is running: never cached across a switch (see md/host_slot.h). The
// host slot holds the HostThread (core/vcpu.h), whose first member is the
// kernel thread it runs; inline, since every kernel primitive asks.
inline KThread* curthread() {
  void* h = md::host_slot_load();
  return h ? *static_cast<KThread**>(h) : nullptr;
}
// curthread_or_panic() is curthread() for calls only a kernel thread may
// make: from a host thread it panics, naming fn and the rule.
[[noreturn]] void panic_not_kthread(const char* fn);
inline KThread* curthread_or_panic(const char* fn) {
  KThread* t = curthread();
  if (__builtin_expect(t == nullptr, 0)) panic_not_kthread(fn);
  return t;
}

// describe_current() writes "pid 12 'name'" or "host thread" for messages.
void describe_current(char* buf, size_t len);
// describe_overflow() writes the overflow report if addr is in a guard of
// the current thread's stack; false otherwise. Async-signal-safe enough for
// the fatal path.
bool describe_overflow(const void* addr, char* buf, size_t len);

}  // namespace kt
