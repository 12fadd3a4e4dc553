// The scheduler: switching, queuing, preemption points and time sharing.
#include "core/sched.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/futex.h"
#include "core/biglock.h"
#include "core/clock.h"
#include "core/kernel.h"
#include "core/lifecycle.h"
#include "core/switch.h"
#include "sync/sleepq.h"

namespace kt {
namespace {

// restart_slice() gives the running thread a new slice without a switch
// (it yielded with nobody to yield to): the clock sees the count move.
void restart_slice(Vcpu* v) {
  v->nswitch_.store(v->nswitch_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  v->slice_up_.store(false, std::memory_order_relaxed);
}

void add_count(std::atomic<uint32_t>& c, int d) {
  c.store(c.load(std::memory_order_relaxed) + uint32_t(d), std::memory_order_relaxed);
}

// enqueue_locked() puts t on v's queue for its kind (bound or free), at the
// tail behind its equals, or at the head (a yield returning the thread it
// woke to the place it had).
void enqueue_locked(Vcpu* v, KThread* t, bool front) KT_REQUIRES(v->runq_lock_) {
  RunQueue& q = t->bound_ ? v->rq_bound_ : v->rq_free_;
  if (front)
    q.push_front(t);
  else
    q.push_back(t);
  if (!t->bound_) add_count(v->nrun_free_, 1);
  add_count(v->nrun_, 1);
}

// pop_locked() takes the most urgent thread of either queue; bound threads
// win ties, since nobody else can run them.
KThread* pop_locked(Vcpu* v) KT_REQUIRES(v->runq_lock_) {
  const int b = v->rq_bound_.best();
  const int f = v->rq_free_.best();
  if (b == RunQueue::kLevels && f == RunQueue::kLevels) return nullptr;
  KThread* t;
  if (b <= f) {
    t = v->rq_bound_.pop();
  } else {
    t = v->rq_free_.pop();
    add_count(v->nrun_free_, -1);
  }
  add_count(v->nrun_, -1);
  return t;
}

int best_locked(Vcpu* v) KT_REQUIRES(v->runq_lock_) {
  return std::min(v->rq_bound_.best(), v->rq_free_.best());
}

// reap() releases what an exited thread no longer needs. It runs in the
// context that followed it, so the stack is no longer in use.
void reap(KThread* t, HostThread* h) {
  Vcpu* v = h->vcpu;
  md::san_release(&t->san_);
  md::stack_free(&t->stack_, v ? &v->stacks_ : nullptr);
  bool wait_for_joiner = false;
  if (t->joinable()) {
    // The common case of a join: reap() runs in the joiner's own context
    // (exit_final woke it first, here), which looks at the state only once
    // this hook has returned. Nobody else acts on a thread with a joiner, so
    // the zombie is published without lock_; joiner_slp_ was written by this
    // very thread, before the exit took lock_.
    KThread* me = h->cur;
    if (me && [&]() KT_NO_THREAD_SAFETY_ANALYSIS { return t->joiner_slp_ == &me->slp_; }()) {
      t->state_.store(ThreadState::kZombie, std::memory_order_release);
      return;
    }
    SpinGuard g(t->lock_);
    wait_for_joiner = !t->detached_;
    if (wait_for_joiner) {
      t->state_.store(ThreadState::kZombie, std::memory_order_release);
      // Wake the joiner itself: it cannot leave before it sees kZombie under
      // lock_, which we hold, so its sleeper is still where it registered.
      // It parks under lock_ too: not parked means it is awake already
      // (exit_final woke it) and will look at the state.
      if (Sleeper* j = t->joiner_slp_) unpark_locked(j, t->lock_);
    }
  }
  if (!wait_for_joiner) proctab::free(t, v ? &v->threads_ : nullptr);
}

void wake_idle_stealer(KernelState* k, Vcpu* busy) {
  for (unsigned i = 1; i < k->ncpu; i++) {
    Vcpu* o = k->vcpu((busy->id + i) % k->ncpu);
    if (o->idle_.load(std::memory_order_seq_cst)) {
      o->kick();
      return;
    }
  }
}

// steal() takes an unbound thread from another vCPU's queue. While still
// spinning (eager false) it only takes from a queue of two or more, so that
// the thread a busy vCPU is about to run next stays where its cache is.
KThread* steal(KernelState* k, Vcpu* v, bool eager) {
  const uint32_t min = eager ? 1 : 2;
  for (unsigned i = 1; i < k->ncpu; i++) {
    Vcpu* o = k->vcpu((v->id + i) % k->ncpu);
    if (o->nrun_free_.load(std::memory_order_relaxed) < min) continue;
    if (!o->runq_lock_.try_lock()) continue;
    KThread* t = o->rq_free_.pop();
    if (t) {
      add_count(o->nrun_free_, -1);
      add_count(o->nrun_, -1);
    }
    o->runq_lock_.unlock();
    if (t) {
      t->vcpu_.store(v, std::memory_order_relaxed);
      v->nsteal_.fetch_add(1, std::memory_order_relaxed);
      return t;
    }
  }
  return nullptr;
}

bool stealable(KernelState* k, Vcpu* v) {
  for (unsigned i = 1; i < k->ncpu; i++)
    if (k->vcpu((v->id + i) % k->ncpu)->nrun_free_.load(std::memory_order_seq_cst) > 0) return true;
  return false;
}

// How long an idle vCPU spins before parking: long enough that a ping-pong
// across vCPUs never pays for a futex, short enough that an idle kernel is
// idle.
constexpr uint64_t kSpinNs = 50000;

void idle_wait(KernelState* k, Vcpu* v) {
  // Spin only while few others do: on an oversubscribed host (more vCPUs
  // than cores) a spinner takes the CPU from the thread that would give it
  // work.
  const bool spin = k->nspinning.fetch_add(1, std::memory_order_relaxed) < k->max_spinning;
  const uint64_t spin_end = spin ? now_ns() + kSpinNs : 0;
  for (unsigned i = spin ? 0 : 63;; i++) {
    if (v->nrun_.load(std::memory_order_relaxed) || k->stopping.load(std::memory_order_relaxed)) {
      k->nspinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    if ((i & 63) == 63) {
      const uint64_t now = now_ns();
      const uint64_t d = v->next_deadline_.load(std::memory_order_relaxed);
      if ((d && d <= now) || stealable(k, v)) {
        k->nspinning.fetch_sub(1, std::memory_order_relaxed);
        return;
      }
      if (now >= spin_end) break;
    }
    __builtin_ia32_pause();
  }
  k->nspinning.fetch_sub(1, std::memory_order_relaxed);
  // Idle time is when the pool of free stacks gives pages back, a batch at a
  // time so that new work waits for no more than one batch.
  while (md::stacks_trim(32)) {
    if (v->nrun_.load(std::memory_order_relaxed) || k->stopping.load(std::memory_order_relaxed))
      return;
  }
  const uint32_t seq = v->wake_seq_.load(std::memory_order_seq_cst);
  v->idle_.store(true, std::memory_order_seq_cst);
  k->nidle.fetch_add(1, std::memory_order_seq_cst);
  if (v->nrun_.load(std::memory_order_seq_cst) == 0 && !stealable(k, v) &&
      !k->stopping.load(std::memory_order_seq_cst))
    futex_wait(&v->wake_seq_, seq, v->next_deadline_.load(std::memory_order_seq_cst));
  k->nidle.fetch_sub(1, std::memory_order_relaxed);
  // Dekker with the clock's parking: we publish that we are back, then
  // look whether it parked (it publishes that, then looks at us).
  v->idle_.store(false, std::memory_order_seq_cst);
  clock_unpark(k);
}

// push_queued() puts a runnable thread on v's run queue and makes sure
// someone will run it: v itself, an idle v kicked, or an idle vCPU woken to
// steal it from a busy v. pri is t's priority as read before queueing: once
// queued, t may run elsewhere and change it.
void push_queued(Vcpu* v, Vcpu* self, KThread* t, int pri) {
  KernelState* k = v->kernel;
  const bool free = t->bound_ == nullptr;
  {
    SpinGuard g(v->runq_lock_);
    enqueue_locked(v, t, false);
  }
  if (pri < v->cur_pri_.load(std::memory_order_relaxed))
    v->need_resched_.store(true, std::memory_order_relaxed);
  if (v != self) {
    // Dekker with idle_wait(): we queued, then look for idle_; it publishes
    // idle_, then looks at the queue.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (v->idle_.load(std::memory_order_relaxed)) v->kick();
  }
  // Free work queued behind a busy vCPU, with another idle: wake that one to
  // steal it. (Same-vCPU wakeups go to next_ and never get here, so this
  // costs nothing in a hand-off between two threads.) Without it a thread
  // queued behind one that never reaches a preemption point would wait for
  // ever while a vCPU sleeps.
  if (free && k->nidle.load(std::memory_order_relaxed) > 0 &&
      !v->idle_.load(std::memory_order_relaxed))
    wake_idle_stealer(k, v);
}

}  // namespace

// pick_next_slow() is pick_next() when something is queued: next_ runs only
// if it is more urgent than the queue, since among equals the queue is older
// and a pair handing the CPU back and forth through next_ must not starve it.
KThread* pick_next_slow(Vcpu* v) {
  KThread* n = v->next_;
  v->next_ = nullptr;
  SpinGuard g(v->runq_lock_);
  if (n) {
    if (n->pri_ < best_locked(v)) return n;
    enqueue_locked(v, n, false);
  }
  return pop_locked(v);
}

void panic_not_kthread(const char* fn) {
  panic("%s: called from a host thread; it must be called from a kernel thread", fn);
}

void finish_switch_hook(HostThread* h) {
  const SwitchHook::Op op = h->hook.op;
  h->hook.op = SwitchHook::kNone;
  switch (op) {
    case SwitchHook::kRequeue:
    case SwitchHook::kHostcall:
      setrunnable(h->hook.prev, /*tail=*/true);
      break;
    case SwitchHook::kExit:
      reap(h->hook.prev, h);
      break;
    case SwitchHook::kUnlock:
      [&]() KT_NO_THREAD_SAFETY_ANALYSIS { h->hook.lock->unlock(); }();
      break;
    case SwitchHook::kNone:
      break;
  }
}

void finish_switch(md::Transfer tr) { finish_switch_inline(tr); }

void Vcpu::kick() {
  wake_seq_.fetch_add(1, std::memory_order_seq_cst);
  futex_wake(&wake_seq_, 1);
}

void setrunnable_slow(KThread* t, bool tail) {
  HostThread* h = host_self();
  Vcpu* self = h ? h->vcpu : nullptr;
  Vcpu* v = t->bound_;
  if (!v) v = t->vcpu_.load(std::memory_order_relaxed);
  if (!v) v = self ? self : pick_vcpu_for_new();
  if (t->sched_ == KT_SCHED_TS) ts_update(t);
  const int pri = t->pri_;
  t->state_.store(ThreadState::kRunnable, std::memory_order_relaxed);
  t->vcpu_.store(v, std::memory_order_relaxed);
  if (v == self && !tail && h->cur) {
    // Woken by a thread of this vCPU: it runs next. A thread displaced from
    // next_ goes to the queue (it is this vCPU's and not running: reading
    // its priority is safe).
    KThread* old = v->next_;
    v->next_ = t;
    if (pri < v->cur_pri_.load(std::memory_order_relaxed))
      v->need_resched_.store(true, std::memory_order_relaxed);
    if (old) push_queued(v, self, old, old->pri_);
    return;
  }
  push_queued(v, self, t, pri);
}

void run_timers(Vcpu* v) {
  uint64_t d = v->next_deadline_.load(std::memory_order_relaxed);
  if (d == 0) return;
  const uint64_t now = now_ns();
  if (d > now) return;
  for (;;) {
    KThread* t;
    uint32_t seq;
    {
      SpinGuard g(v->timer_lock_);
      t = v->timers_.pop_expired(now);
      if (t) seq = t->timer_seq_;
      v->next_deadline_.store(v->timers_.earliest(), std::memory_order_relaxed);
    }
    if (!t) return;
    unsleep(&t->slp_, seq, EWOULDBLOCK);
  }
}

void sched_yield() {
  HostThread* h = host_self();
  KThread* t = h ? h->cur : nullptr;
  Vcpu* v = h ? h->vcpu : nullptr;
  if (!t || !v) return;  // a host thread, or a kernel thread inside a host call
  run_timers(v);
  v->need_resched_.store(false, std::memory_order_relaxed);
  if (KT_UNLIKELY(v->kernel->stopping.load(std::memory_order_relaxed))) {
    // Shutdown: this thread is left where it stands (kt_shutdown reports
    // it); its vCPU returns to its loop and stops.
    biglock_release_all(t);
    t->state_.store(ThreadState::kRunnable, std::memory_order_relaxed);
    switch_to(h, v, t, nullptr, SwitchHook::kNone, nullptr, false);
    panic("pid %d '%s' resumed after shutdown", t->pid_, t->name_);
  }
  if (!v->next_ && v->nrun_.load(std::memory_order_relaxed) == 0) {
    restart_slice(v);
    return;  // alone: keep running
  }
  KThread* next;
  {
    SpinGuard g(v->runq_lock_);
    // Yielding: the thread this one woke waits its turn like the others,
    // at the head of its level, where it would have been.
    if (KThread* n = v->next_) {
      v->next_ = nullptr;
      enqueue_locked(v, n, true);
    }
    if (v->nrun_.load(std::memory_order_relaxed) == 0 || best_locked(v) > t->pri_) {
      restart_slice(v);
      return;  // nobody as urgent: keep running
    }
    next = pop_locked(v);
  }
  const int saved = biglock_release_all(t);
  t->state_.store(ThreadState::kRunnable, std::memory_order_relaxed);
  switch_to(h, v, t, next, SwitchHook::kRequeue, nullptr, false);
  biglock_reacquire(t, saved);
}

void preempt_slow(HostThread* h) {
  Vcpu* v = h->vcpu;
  KThread* t = h->cur;
  // The clock says the slice is used up: a time-sharing thread pays for it
  // in priority before it yields.
  if (v->slice_up_.load(std::memory_order_relaxed)) {
    v->slice_up_.store(false, std::memory_order_relaxed);
    if (t->sched_ == KT_SCHED_TS) {
      t->estcpu_++;
      ts_update(t);
    }
  }
  sched_yield();
}

void sched_exit(KThread* t) {
  HostThread* h = host_self();
  Vcpu* v = h->vcpu;
  KT_ASSERT(v != nullptr);
  switch_to(h, v, t, pick_next(v), SwitchHook::kExit, nullptr, true);
  __builtin_unreachable();
}

Vcpu* pick_vcpu_for_new() {
  KernelState* k = kern();
  return k->vcpu(k->next_cpu.fetch_add(1, std::memory_order_relaxed) % k->ncpu);
}

// Time sharing: estcpu counts the slices a thread used up, halves for every
// second it spends asleep, and pushes its priority down from the base by a
// level per slice, at most to the end of the time-sharing band.
void ts_update(KThread* t) {
  if (t->slept_at_) {
    const uint64_t slept_s = (now_coarse_ns() - t->slept_at_) / 1000000000u;
    t->estcpu_ = slept_s >= 32 ? 0 : t->estcpu_ >> slept_s;
    t->slept_at_ = 0;
  }
  const unsigned limit = std::max<unsigned>(t->base_pri_, 223);
  t->pri_ = uint8_t(std::min<unsigned>(t->base_pri_ + t->estcpu_, limit));
}

void Vcpu::run_loop(HostThread* h) {
  KernelState* k = kern();
  for (;;) {
    if (h->vcpu != this || k->stopping.load(std::memory_order_relaxed)) return;
    run_timers(this);
    KThread* next = pick_next(this);
    if (!next && k->ncpu > 1) next = steal(k, this, false);
    if (next) {
      switch_to(h, this, nullptr, next, SwitchHook::kNone, nullptr, false);
      continue;
    }
    idle_wait(k, this);
    if (k->ncpu > 1 && nrun_.load(std::memory_order_relaxed) == 0) {
      if (KThread* t = steal(k, this, true))
        switch_to(h, this, nullptr, t, SwitchHook::kNone, nullptr, false);
    }
  }
}

}  // namespace kt
