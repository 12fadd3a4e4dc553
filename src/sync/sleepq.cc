// Sleep queues: the hash of wait channels, the two-phase sleep, wakeups,
// timeouts and interrupts.
#include "sync/sleepq.h"

#include <cerrno>
#include <cstdint>

#include "base/assert.h"
#include "base/clock.h"
#include "base/futex.h"
#include "core/biglock.h"
#include "core/sched.h"
#include "core/switch.h"
#include "core/thread.h"
#include "core/vcpu.h"

namespace kt {
namespace {

struct alignas(64) Chain {
  SpinLock lock;
  List q KT_GUARDED_BY(lock);
};

constexpr unsigned kChains = 4096;  // power of two; 256 KiB of chains
Chain chains[kChains];

Chain& chain_of(const void* wchan) {
  // Channels are addresses of objects, usually 8- or 64-byte aligned: drop
  // the low bits, then mix so neighbouring objects spread over the chains.
  auto a = reinterpret_cast<uintptr_t>(wchan) >> 3;
  a ^= a >> 9;
  a *= 0x9E3779B97F4A7C15ull;
  return chains[(a >> 32) & (kChains - 1)];
}

thread_local Sleeper host_sleeper;

// seq and wchan are written only under the chain lock, so a plain store
// suffices (no locked instruction on the hot path); the racy readers
// (timeouts, interrupts) re-check them under the lock.
void bump_seq(Sleeper* s) {
  s->seq.store(s->seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void dequeue(Sleeper* s, int result) {
  List::remove(&s->link);
  bump_seq(s);
  s->result = result;
}

// wake_dequeued() finishes the job for a sleeper just taken off its queue:
// a blocked thread becomes runnable, a host sleeper is told through its futex.
// A thread that has not blocked yet finds itself dequeued in sleep_finish.
[[gnu::always_inline]] inline void wake_dequeued(Sleeper* s) {
  if (s->thread) {
    if (s->blocked) {
      s->blocked = false;
      setrunnable(s->thread);
    }
  } else {
    s->host_word.store(1, std::memory_order_release);
    futex_wake(&s->host_word, 1);
  }
}

void timer_arm(KThread* t, uint64_t deadline, uint32_t seq) {
  Vcpu* v = curvcpu();
  t->timer_vcpu_ = v;
  SpinGuard g(v->timer_lock_);
  t->deadline_ = deadline;
  t->timer_seq_ = seq;
  v->timers_.insert(t);
  v->next_deadline_.store(v->timers_.earliest(), std::memory_order_relaxed);
}

void timer_cancel(KThread* t) {
  Vcpu* v = t->timer_vcpu_;
  if (!v) return;
  t->timer_vcpu_ = nullptr;
  SpinGuard g(v->timer_lock_);
  if (t->timer_idx_ >= 0) {
    v->timers_.remove(t);
    v->next_deadline_.store(v->timers_.earliest(), std::memory_order_relaxed);
  }
}

int host_wait(Chain& c, Sleeper* s, uint64_t deadline) KT_RELEASE(c.lock) {
  c.lock.unlock();
  while (s->host_word.load(std::memory_order_acquire) == 0) {
    if (deadline && now_ns() >= deadline) {
      SpinGuard g(c.lock);
      if (s->link.linked()) {
        dequeue(s, EWOULDBLOCK);
        return EWOULDBLOCK;
      }
      // Dequeued by a waker meanwhile: host_word is already set.
      continue;
    }
    futex_wait(&s->host_word, 0, deadline);
  }
  return s->result;
}

}  // namespace

// interrupt_pending() is the sleeper's half of the Dekker pairing with
// interrupt(): our sleep was published (seq, under the chain lock) before
// this load, and the fence keeps the two in order.
static bool interrupt_pending(KThread* t) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return t->intr_pending_.load(std::memory_order_relaxed) != 0;
}

Sleeper* current_sleeper() {
  if (KThread* t = curthread()) return &t->slp_;
  return &host_sleeper;
}

namespace {

// What ps shows of a sleeper, by its kSleepSuspended and kSleepBroken bits.
constexpr uint8_t kShow[4] = {uint8_t(ThreadState::kSleeping), uint8_t(ThreadState::kSuspended),
                              uint8_t(ThreadState::kBroken), uint8_t(ThreadState::kSuspended)};
static_assert(kSleepSuspended == 2 && kSleepBroken == 4, "kShow is indexed by flags >> 1");

// enqueue_locked() publishes s (the sleeper of t, or of a host thread when t
// is null) as asleep on wchan (an odd sequence) at the tail of its chain.
void enqueue_locked(Chain& c, Sleeper* s, KThread* t, const void* wchan, const char* wmesg,
                    int flags) KT_REQUIRES(c.lock) {
  KT_ASSERT_MSG(!s->link.linked(), "sleeper already queued on %p", s->wchan.load());
  s->wchan.store(wchan, std::memory_order_relaxed);
  s->wmesg = wmesg;
  s->result = 0;
  s->intr = (flags & kSleepIntr) != 0;
  s->show = kShow[(flags >> 1) & 3];
  s->blocked = false;
  if (t)
    s->pri = t->pri_;
  else
    s->host_word.store(0, std::memory_order_relaxed);
  bump_seq(s);
  c.q.push_back(&s->link);
}

// show_asleep() is what ps shows of t while s sleeps.
inline void show_asleep(KThread* t, const Sleeper* s) {
  t->wmesg_.store(s->wmesg, std::memory_order_relaxed);
  t->state_.store(ThreadState(s->show), std::memory_order_relaxed);
}

// sleep_switch() is how every sleep that blocks leaves the CPU: t, shown
// asleep, switches away holding l, which the next context releases once
// t's registers are saved, so no waker can make it runnable before that;
// a deadline is armed for the time it is away.
[[gnu::always_inline]] inline void sleep_switch(HostThread* h, KThread* t, Sleeper* s, SpinLock& l,
                                                uint64_t deadline) KT_RELEASE(l) {
  // Without a vCPU (inside a host call) there is no timer to arm either.
  if (KT_UNLIKELY(h->vcpu == nullptr))
    panic("kernel thread pid %d '%s' slept inside a host call (kt_hostcall_enter)", t->pid_,
          t->name_);
  s->blocked = true;
  if (t->sched_ == KT_SCHED_TS) t->slept_at_ = now_coarse_ns();
  if (deadline) timer_arm(t, deadline, s->seq.load(std::memory_order_relaxed));
  sched_block_release(h, t, l);
  if (deadline) timer_cancel(t);
  // A vCPU whose threads only hand the CPU to each other never returns to
  // its loop: each resumed sleeper looks at the timeouts on its way out
  // (on the vCPU it resumed on, which may not be the one it slept on).
  Vcpu* v = curvcpu();
  if (v->next_deadline_.load(std::memory_order_relaxed)) run_timers(v);
}

// block_locked() ends every sleep that is still queued and wants to block:
// a pending interrupt or a passed deadline wins first; otherwise a host
// sleeper waits on its futex, and a kernel thread switches away. The chain
// lock is released by the next context once our registers are saved, so no
// waker can make us runnable before that.
// shown says the caller has already shown t asleep (sleep_interlocked).
[[gnu::always_inline]] inline int block_locked(Chain& c, Sleeper* s, HostThread* h, KThread* t,
                                               uint64_t deadline, bool shown = false)
    KT_RELEASE(c.lock) {
  if (s->intr && t && interrupt_pending(t)) {
    dequeue(s, EINTR);
    t->state_.store(ThreadState::kRunning, std::memory_order_relaxed);
    c.lock.unlock();
    return EINTR;
  }
  if (deadline && deadline <= now_ns()) {
    dequeue(s, EWOULDBLOCK);
    if (t) t->state_.store(ThreadState::kRunning, std::memory_order_relaxed);
    c.lock.unlock();
    return EWOULDBLOCK;
  }
  if (!t) return host_wait(c, s, deadline);
  if (!shown) show_asleep(t, s);
  sleep_switch(h, t, s, c.lock, deadline);
  // Precedence (R9): an interrupt that has come by the time a timed-out
  // sleeper runs again wins over the timeout, as FreeBSD's and OpenBSD's
  // sleeps have it; a wakeup that found the sleeper wins over both.
  if (KT_UNLIKELY(s->result == EWOULDBLOCK) && s->intr && interrupt_pending(t)) return EINTR;
  return s->result;
}

// The big lock is a sleeping lock: a sleeper gives it up before it takes a
// chain, and takes it back once awake.
int drop_biglock(KThread* t) { return t && t->biglock_depth_ ? biglock_release_all(t) : 0; }

int sleep_done(KThread* t, int r, int biglock) {
  if (t) {
    if (r == EINTR) t->intr_pending_.store(0, std::memory_order_relaxed);
    t->wmesg_.store(nullptr, std::memory_order_relaxed);
    if (biglock) biglock_reacquire(t, biglock);
  }
  return r;
}

}  // namespace

void sleep_setup(Sleeper* s, const void* wchan, const char* wmesg, int flags) {
  KT_ASSERT_MSG(wchan != nullptr, "sleep on a NULL wait channel");
  Chain& c = chain_of(wchan);
  SpinGuard g(c.lock);
  enqueue_locked(c, s, s->thread, wchan, wmesg, flags);
}

int sleep_finish(Sleeper* s, uint64_t deadline, bool do_sleep) {
  KThread* t = s->thread;
  const int biglock = drop_biglock(t);
  Chain& c = chain_of(s->wchan.load(std::memory_order_relaxed));
  c.lock.lock();
  int r;
  if (!s->link.linked()) {
    // Woken (or timed out, or interrupted) between setup and now.
    r = s->result;
    c.lock.unlock();
  } else if (!do_sleep) {
    // The caller found its condition true.
    dequeue(s, 0);
    r = 0;
    c.lock.unlock();
  } else {
    r = block_locked(c, s, host_self(), t, deadline);
  }
  return sleep_done(t, r, biglock);
}

int sleep_unless(const void* wchan, const char* wmesg, int flags, uint64_t deadline,
                 int (*done)(void*), void* arg) {
  KT_ASSERT_MSG(wchan != nullptr, "sleep on a NULL wait channel");
  HostThread* h = host_self();
  KThread* t = h ? h->cur : nullptr;
  Sleeper* s = t ? &t->slp_ : &host_sleeper;
  const int biglock = drop_biglock(t);
  Chain& c = chain_of(wchan);
  c.lock.lock();
  int r = 0;
  if (done && done(arg)) {
    c.lock.unlock();
  } else {
    enqueue_locked(c, s, t, wchan, wmesg, flags);
    r = block_locked(c, s, h, t, deadline);
  }
  return sleep_done(t, r, biglock);
}

int sleep_on(const void* wchan, const char* wmesg, int flags, uint64_t deadline) {
  return sleep_unless(wchan, wmesg, flags, deadline, nullptr, nullptr);
}

int sleep_interlocked(const void* wchan, const char* wmesg, int flags, uint64_t deadline,
                      SpinLock& interlock) {
  HostThread* h = host_self();
  KThread* t = h ? h->cur : nullptr;
  Sleeper* s = t ? &t->slp_ : &host_sleeper;
  if (KT_UNLIKELY(t && t->biglock_depth_)) {
    // The big lock is given up before any chain is taken, and not under a
    // spin lock: the two-phase form, with the interlock let go in between.
    sleep_setup(s, wchan, wmesg, flags);
    interlock.unlock();
    const int r = sleep_finish(s, deadline, true);
    interlock.lock();
    return r;
  }
  // One hold of the chain: queued under the interlock (which ranks above the
  // chain), so a waker that needs the interlock finds us queued, and shown
  // asleep: whoever takes the interlock next sees us as a sleeper (a
  // suspender woken by our acknowledgement finds us suspended).
  Chain& c = chain_of(wchan);
  c.lock.lock();
  enqueue_locked(c, s, t, wchan, wmesg, flags);
  if (t) show_asleep(t, s);
  interlock.unlock();
  const int r = sleep_done(t, block_locked(c, s, h, t, deadline, t != nullptr), 0);
  interlock.lock();
  return r;
}

void park_locked(Sleeper* s, SpinLock& l, const char* wmesg) {
  KThread* t = s->thread;
  KT_ASSERT_MSG(!s->link.linked(), "parking a sleeper queued on %p", s->wchan.load());
  s->park_lock.store(&l, std::memory_order_relaxed);
  s->blocked = false;
  if (!t) {
    s->host_word.store(0, std::memory_order_relaxed);
    l.unlock();
    while (s->host_word.load(std::memory_order_acquire) == 0) futex_wait(&s->host_word, 0, 0);
    l.lock();
    return;
  }
  // The big lock is a sleeping lock, not taken under a spin lock: let it go
  // with l released. Whoever unparks us meanwhile finds us not yet blocked
  // and only clears park_lock, which we look at before blocking.
  int biglock = 0;
  if (KT_UNLIKELY(t->biglock_depth_)) {
    l.unlock();
    biglock = biglock_release_all(t);
    l.lock();
  }
  if (parked_under(s, l)) {
    t->wmesg_.store(wmesg, std::memory_order_relaxed);
    t->state_.store(ThreadState::kSleeping, std::memory_order_relaxed);
    sleep_switch(host_self(), t, s, l, 0);
    l.lock();
    t->wmesg_.store(nullptr, std::memory_order_relaxed);
  }
  if (KT_UNLIKELY(biglock)) {
    l.unlock();
    biglock_reacquire(t, biglock);
    l.lock();
  }
}

bool unpark_locked(Sleeper* s, SpinLock& l) {
  if (!parked_under(s, l)) return false;
  s->park_lock.store(nullptr, std::memory_order_relaxed);
  wake_dequeued(s);
  return true;
}

int wakeup_n(const void* wchan, int n) {
  Chain& c = chain_of(wchan);
  int woken = 0;
  SpinGuard g(c.lock);
  if (n == 1) {
    // The most urgent sleeper, oldest first among equals.
    Sleeper* best = nullptr;
    for (ListNode* p = c.q.begin(); p != c.q.end(); p = p->next) {
      Sleeper* s = node_owner<Sleeper, &Sleeper::link>(p);
      if (s->wchan.load(std::memory_order_relaxed) == wchan && (!best || s->pri < best->pri))
        best = s;
    }
    if (best) {
      dequeue(best, 0);
      wake_dequeued(best);
      woken = 1;
    }
    return woken;
  }
  for (ListNode* p = c.q.begin(); p != c.q.end() && woken != n;) {
    Sleeper* s = node_owner<Sleeper, &Sleeper::link>(p);
    p = p->next;
    if (s->wchan.load(std::memory_order_relaxed) != wchan) continue;
    dequeue(s, 0);
    wake_dequeued(s);
    woken++;
  }
  return woken;
}

bool wakeup_sleeper(Sleeper* s, const void* wchan) {
  Chain& c = chain_of(wchan);
  SpinGuard g(c.lock);
  // s may be queued on another chain, whose lock (not ours) guards its
  // link: look at the sequence first (odd: queued; published after wchan),
  // then at wchan, and touch the link only if both say it is on ours.
  if ((s->seq.load(std::memory_order_acquire) & 1) == 0 ||
      s->wchan.load(std::memory_order_relaxed) != wchan)
    return false;
  dequeue(s, 0);
  wake_dequeued(s);
  return true;
}

bool unsleep(Sleeper* s, uint32_t seq, int result) {
  const void* w = s->wchan.load(std::memory_order_acquire);
  if (!w) return false;
  Chain& c = chain_of(w);
  SpinGuard g(c.lock);
  if (s->seq.load(std::memory_order_relaxed) != seq || !s->link.linked() ||
      s->wchan.load(std::memory_order_relaxed) != w)
    return false;
  if (result == EINTR && !s->intr) return false;
  dequeue(s, result);
  wake_dequeued(s);
  return true;
}

void sleep_abandon(Sleeper* s) {
  // Its kernel is gone, and with it whoever would unpark it.
  s->park_lock.store(nullptr, std::memory_order_relaxed);
  const void* w = s->wchan.load(std::memory_order_acquire);
  if (w) {
    Chain& c = chain_of(w);
    SpinGuard g(c.lock);
    if (s->link.linked()) dequeue(s, 0);
  }
  s->blocked = false;
}

void interrupt(KThread* t) {
  // Dekker with sleep_finish(): we publish the mark, then look for a sleep;
  // it publishes its sleep, then looks for the mark. One of us sees the other.
  t->intr_pending_.store(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (;;) {
    const uint32_t seq = t->slp_.seq.load(std::memory_order_acquire);
    if ((seq & 1) == 0) return;  // even: not queued anywhere
    if (unsleep(&t->slp_, seq, EINTR)) return;
    // Raced with a wakeup or a new sleep; if the sequence did not move, the
    // sleep is uninterruptible and the mark waits for the next one.
    if (t->slp_.seq.load(std::memory_order_acquire) == seq) return;
  }
}

bool has_sleepers(const void* wchan) {
  Chain& c = chain_of(wchan);
  SpinGuard g(c.lock);
  for (ListNode* p = c.q.begin(); p != c.q.end(); p = p->next)
    if (node_owner<Sleeper, &Sleeper::link>(p)->wchan.load(std::memory_order_relaxed) == wchan)
      return true;
  return false;
}

}  // namespace kt
