// Sleep queues: hashed wait channels, the one place a context blocks.
//
// Everything that waits (tsleep, condition variables, join, suspension,
// the big lock, Plan 9 Rendez) is a sleep on a wait channel. A sleep has two
// phases, so that a caller can test its condition between them without a
// lost wakeup (the OpenBSD shape):
//
//   sleep_setup(s, wchan, wmesg, flags)   queue s on wchan's chain
//   ... release the interlock, test the condition ...
//   sleep_finish(s, deadline, do_sleep)   block unless already woken
//
// A Sleeper belongs to a kernel thread (embedded in its KThread) or to a host
// thread (on its stack); a host sleeper blocks in a futex instead of
// switching. Whoever takes a sleeper off its queue (a waker, the timeout, an
// interrupt) sets its result and, if it had blocked, makes it runnable;
// seq lets the timeout and interrupt paths, which find the sleeper without
// holding its chain lock, check that it is still in the same sleep.
//
// Precedence when several end a sleep at once: whichever dequeues first under
// the chain lock wins, but for two rules: an interrupt pending before the
// sleep blocks wins over everything (it is tested last, under the lock,
// before blocking), and one that has come by the time a timed-out sleeper
// runs again wins over the timeout (signal errors rank above timeouts, as
// in the BSD kernels: semantics.md R9). A wakeup that found the sleeper is 0.
#pragma once

#include <atomic>
#include <cstdint>

#include "base/list.h"
#include "base/spinlock.h"

namespace kt {

struct KThread;

enum SleepFlags : int {
  kSleepIntr = 0x1,       // an interrupt ends the sleep with EINTR
  kSleepSuspended = 0x2,  // ps shows the sleeper "suspended"
  kSleepBroken = 0x4,     // ps shows the sleeper "broken"
};

struct Sleeper {
  ListNode link;                            // [c]
  std::atomic<const void*> wchan{nullptr};  // [c] written under the chain lock
  const char* wmesg = nullptr;              // [c]
  std::atomic<uint32_t> seq{0};             // [c] bumped on every enqueue and dequeue
  int result = 0;                           // [c] set by whoever dequeues
  uint8_t pri = 0;                          // [c] for wakeup_one
  bool blocked = false;                     // [c] its thread has switched out
  bool intr = false;                        // [c] interruptible
  // The lock it is parked under (park_locked), until unparked. Written under
  // that lock; atomic, since a holder of another lock may look whether it is
  // its own.
  std::atomic<const SpinLock*> park_lock{nullptr};
  uint8_t show = 0;                    // [c] the ThreadState ps shows while asleep
  KThread* thread = nullptr;           // [I] nullptr for a host sleeper
  std::atomic<uint32_t> host_word{0};  // host sleeper: set to 1 when dequeued
};

// The current context's sleeper: the running kernel thread's, or the calling
// host thread's own.
Sleeper* current_sleeper();

void sleep_setup(Sleeper* s, const void* wchan, const char* wmesg, int flags);
// sleep_finish() returns 0 (woken), EWOULDBLOCK (deadline passed) or EINTR.
// deadline is absolute CLOCK_MONOTONIC ns, 0 for none. With do_sleep false it
// only leaves the queue (returning what already happened, or 0).
int sleep_finish(Sleeper* s, uint64_t deadline, bool do_sleep);

// sleep_on() is setup + finish with nothing between.
// sleep_unless() is the whole sleep in one hold of the chain lock: done(arg)
// is tested under it, and unless it holds the caller queues and blocks
// (FreeBSD's sleepq_lock/sleepq_add/sleepq_wait). A waker that changes the
// condition before its wakeup cannot slip in between. done runs under a spin
// lock: it must not sleep, wake or take locks. 0 when done held (no sleep).
int sleep_unless(const void* wchan, const char* wmesg, int flags, uint64_t deadline,
                 int (*done)(void*), void* arg);

int sleep_on(const void* wchan, const char* wmesg, int flags, uint64_t deadline);

// sleep_interlocked() releases a held spin lock between the two phases and
// takes it again before returning.
int sleep_interlocked(const void* wchan, const char* wmesg, int flags, uint64_t deadline,
                      SpinLock& interlock) KT_REQUIRES(interlock);

// wakeup_n() wakes up to n sleepers on wchan (n < 0: all), most urgent and
// oldest first when n is 1. Returns how many.
int wakeup_n(const void* wchan, int n);

// wakeup_sleeper() wakes s if it sleeps on wchan, in O(1): for wakers that
// know whom they wake (join, exit), where a scan of the chain would cost
// time proportional to everyone else asleep on it.
bool wakeup_sleeper(Sleeper* s, const void* wchan);

// unsleep() ends s's sleep with result if it is still the sleep numbered seq
// (and, for EINTR, interruptible). Used by timeouts and interrupts.
bool unsleep(Sleeper* s, uint32_t seq, int result);

// sleep_abandon() takes s off its queue (or out of its park) without waking
// it: shutdown uses it on the threads it leaves behind, before freeing them.
void sleep_abandon(Sleeper* s);

// interrupt() marks t interrupted and ends its interruptible sleep if any.
void interrupt(KThread* t);

// Parking: a sleep with no wait channel, for a wait that exactly one party
// ends, under a lock both already hold (a join, which only the exit of the
// thread joined ends, under that thread's lock_). It costs no hash, no chain
// lock and no queue. park_locked() shows the caller asleep on wmesg and
// blocks with l released (by the next context, once its registers are
// saved); it returns holding l again, once unpark_locked() has been called,
// or early, so callers loop on their condition. Not interruptible, no
// timeout; the big lock is let go while parked, as by any sleep.
void park_locked(Sleeper* s, SpinLock& l, const char* wmesg) KT_REQUIRES(l);
// parked_under() says whether s is parked under l, which the caller holds.
inline bool parked_under(const Sleeper* s, const SpinLock& l) KT_REQUIRES(l) {
  return s->park_lock.load(std::memory_order_relaxed) == &l;
}
// unpark_locked() wakes s if it is parked under l, which the caller holds;
// false if it is not (running, or parked under another lock).
bool unpark_locked(Sleeper* s, SpinLock& l) KT_REQUIRES(l);
// park_cancel() takes s, parked under l (held) and switched out, out of its
// park without waking it: its thread will never run again (a join
// finishing the exit of a thread that waits for it). false if s is not so
// parked.
// Inline: every join asks it.
inline bool park_cancel(Sleeper* s, SpinLock& l) KT_REQUIRES(l) {
  if (!parked_under(s, l) || !s->blocked) return false;
  s->park_lock.store(nullptr, std::memory_order_relaxed);
  s->blocked = false;
  return true;
}

// has_sleepers() is a racy hint, for assertions and tests.
bool has_sleepers(const void* wchan);

}  // namespace kt
