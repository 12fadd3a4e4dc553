// The clock: slices and timeouts for busy vCPUs, parked when all are idle.
#include "core/clock.h"

#include <atomic>
#include <new>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/futex.h"
#include "core/kernel.h"
#include "core/vcpu.h"

namespace kt {

struct Clock {
  std::thread thread;
  // Parking, as a vCPU parks: the clock publishes parked, then looks at the
  // vCPUs; a vCPU leaving its park publishes that, then looks at parked.
  std::atomic<uint32_t> word{0};  // futex
  std::atomic<bool> parked{false};
  // What the clock saw of each vCPU at its last tick (clock thread only).
  struct Seen {
    uint32_t nswitch = 0;
    unsigned ticks = 0;  // ticks the same thread has run
  };
  std::vector<Seen> seen;
};

namespace {

// tick() looks at every vCPU once; whether any was busy.
bool tick(KernelState* k, Clock* c) {
  const uint64_t now = now_ns();
  bool busy = false;
  for (unsigned i = 0; i < k->ncpu; i++) {
    Vcpu* v = k->vcpu(i);
    Clock::Seen& s = c->seen[i];
    if (v->idle_.load(std::memory_order_seq_cst)) {
      s.ticks = 0;
      continue;
    }
    busy = true;
    const uint32_t sw = v->nswitch_.load(std::memory_order_relaxed);
    if (sw != s.nswitch) {
      s.nswitch = sw;
      s.ticks = 0;
    } else if (++s.ticks >= k->slice_ticks) {
      // Asked even when nobody seems to wait: the thread it woke may sit in
      // next_, which the queue counts do not show, and a time-sharing thread
      // pays for its slice whether or not anyone waits.
      s.ticks = 0;
      v->slice_up_.store(true, std::memory_order_relaxed);
      v->need_resched_.store(true, std::memory_order_relaxed);
    }
    const uint64_t d = v->next_deadline_.load(std::memory_order_relaxed);
    if (d && d <= now) run_timers(v);
  }
  return busy;
}

void clock_main(KernelState* k, Clock* c) {
  while (!k->stopping.load(std::memory_order_acquire)) {
    const uint32_t w = c->word.load(std::memory_order_seq_cst);
    if (tick(k, c)) {
      futex_wait(&c->word, w, now_ns() + k->tick_ns);
      continue;
    }
    // Every vCPU is parked: so is the clock, unless one left its park
    // between our look and our publishing (it then sees parked and kicks).
    c->parked.store(true, std::memory_order_seq_cst);
    bool idle = true;
    for (unsigned i = 0; i < k->ncpu && idle; i++)
      idle = k->vcpu(i)->idle_.load(std::memory_order_seq_cst);
    if (idle && !k->stopping.load(std::memory_order_seq_cst)) futex_wait(&c->word, w, 0);
    c->parked.store(false, std::memory_order_relaxed);
  }
}

void wake(Clock* c) {
  c->word.fetch_add(1, std::memory_order_seq_cst);
  futex_wake(&c->word, 1);
}

}  // namespace

bool clock_start(KernelState* k) {
  auto* c = new (std::nothrow) Clock;
  if (!c) return false;
  c->seen.resize(k->ncpu);
  try {
    c->thread = std::thread(clock_main, k, c);
  } catch (...) {
    delete c;
    return false;
  }
  k->clock = c;
  return true;
}

void clock_stop(KernelState* k) {
  Clock* c = k->clock;
  if (!c) return;
  wake(c);
  c->thread.join();
  k->clock = nullptr;
  delete c;
}

void clock_unpark(KernelState* k) {
  Clock* c = k->clock;
  if (c && c->parked.load(std::memory_order_seq_cst)) wake(c);
}

}  // namespace kt
