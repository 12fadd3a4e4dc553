// The process table: type-stable descriptor slabs, pids, maxproc.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <new>
#include <vector>

#include "base/assert.h"
#include "base/spinlock.h"
#include "core/thread.h"
#include "sync/note.h"

namespace kt {
namespace {

constexpr int kHighPidMin = 10;  // FreeBSD fork1: RFHIGHPID pids start here

// Descriptors live in one reservation of address space, mapped lazily
// (MAP_NORESERVE) and never unmapped, even across reboots: a stale pointer
// or handle from an earlier boot still lands on a descriptor, and the slot
// holding an address is a division away. Slabs of kSlabSize are constructed
// in it as the table grows. The read-mostly slab count (read by every handle
// lookup) and the counters written by every create and exit live on
// different cache lines.
struct Table {
  std::atomic<KThread*> base{nullptr};  // the reservation, once made
  std::atomic<unsigned> nslabs{0};
  unsigned max_slabs = 0;  // [lock] what the reservation holds
  std::atomic<int> maxproc{KT_DEFAULT_MAXPROC};
  // Slots of maxproc taken: live descriptors plus the credit vCPUs hold.
  alignas(64) std::atomic<int> reserved{0};
  std::atomic<int> next_pid{1};
  std::atomic<unsigned> nhigh{0};  // live high pids: pid allocation skips them
  alignas(64) SpinLock lock;       // leaf; slow path only
  // Free descriptors, oldest first (see ThreadCache), linked through
  // free_next_.
  KThread* free_head KT_GUARDED_BY(lock) = nullptr;
  KThread* free_tail KT_GUARDED_BY(lock) = nullptr;
  ThreadCache* holders KT_GUARDED_BY(lock) = nullptr;
  std::vector<int> high KT_GUARDED_BY(lock);  // the pids of live KT_HIGHPID threads
};

// Constant-initialised (no guard on every access, usable from static
// initialisers) and never destroyed: the table outlives every kernel,
// including threads an abandoned kernel leaves running at exit.
union TableStorage {
  constexpr TableStorage() : t() {}
  ~TableStorage() {}
  Table t;
};
constinit TableStorage g_table;

inline Table& table() { return g_table.t; }

void push_free_locked(Table& tb, KThread* t) KT_REQUIRES(tb.lock) {
  t->free_next_ = nullptr;
  if (tb.free_tail)
    tb.free_tail->free_next_ = t;
  else
    tb.free_head = t;
  tb.free_tail = t;
}

KThread* pop_free_locked(Table& tb) KT_REQUIRES(tb.lock) {
  KThread* t = tb.free_head;
  if (t) {
    tb.free_head = t->free_next_;
    if (!tb.free_head) tb.free_tail = nullptr;
  }
  return t;
}

bool grow(Table& tb) KT_REQUIRES(tb.lock) {
  const unsigned n = tb.nslabs.load(std::memory_order_relaxed);
  KThread* base = tb.base.load(std::memory_order_relaxed);
  if (!base) {
    // Address space for kMaxSlabs (3 GiB); a host that refuses that much
    // even unreserved gets what it allows, halving down to one slab.
    for (unsigned m = proctab::kMaxSlabs; m > 0 && !base; m /= 2) {
      void* p = mmap(nullptr, sizeof(KThread) * proctab::kSlabSize * m, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) continue;
      base = static_cast<KThread*>(p);
      tb.max_slabs = m;
    }
    if (!base) return false;
    tb.base.store(base, std::memory_order_release);
  }
  if (n == tb.max_slabs) return false;
  KThread* s = base + size_t(n) * proctab::kSlabSize;
  for (unsigned i = 0; i < proctab::kSlabSize; i++) {
    new (&s[i]) KThread;
    s[i].index_ = n * proctab::kSlabSize + i;
    push_free_locked(tb, &s[i]);
  }
  tb.nslabs.store(n + 1, std::memory_order_release);
  return true;
}

// take_credit() reserves up to want slots of maxproc from the table, as
// many as the limit leaves; how many it got.
int take_credit(Table& tb, int want) {
  int r = tb.reserved.load(std::memory_order_relaxed);
  for (;;) {
    const int room = tb.maxproc.load(std::memory_order_relaxed) - r;
    const int n = room < want ? room : want;
    if (n <= 0) return 0;
    if (tb.reserved.compare_exchange_weak(r, r + n, std::memory_order_relaxed)) return n;
  }
}

// reclaim() takes back the credit of a cache that holds some.
void reclaim(Table& tb, ThreadCache* c) {
  int n = c->credit.load(std::memory_order_relaxed);
  while (n > 0 && !c->credit.compare_exchange_weak(n, 0, std::memory_order_relaxed)) {
  }
  if (n > 0) tb.reserved.fetch_sub(n, std::memory_order_relaxed);
}

// reserve_slow() reserves one slot of maxproc for a creator whose cache (if
// any) has no credit left: a batch for the cache when the limit allows; when
// it does not, the credit every other vCPU holds is taken back first, so
// that EAGAIN means maxproc threads are really alive.
bool reserve_slow(Table& tb, ThreadCache* cache, bool exempt) {
  if (exempt) {
    tb.reserved.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  const int want = cache ? ThreadCache::kCreditBatch : 1;
  int got = take_credit(tb, want);
  if (got == 0) {
    {
      SpinGuard g(tb.lock);
      for (ThreadCache* c = tb.holders; c; c = c->next_holder) reclaim(tb, c);
    }
    got = take_credit(tb, want);
    if (got == 0) return false;
  }
  if (cache) {
    if (got > 1) cache->credit.fetch_add(got - 1, std::memory_order_relaxed);
    SpinGuard g(tb.lock);
    if (!cache->holder) {
      cache->holder = true;
      cache->next_holder = tb.holders;
      tb.holders = cache;
    }
  }
  return true;
}

int take_pids(int n) {
  // pids count up and wrap past INT_MAX to 100, like the BSDs' lastpid; a
  // pid is a label for messages and ps, the handle is what identifies.
  int pid = table().next_pid.fetch_add(n, std::memory_order_seq_cst);  // see alloc_pid
  if (KT_UNLIKELY(pid <= 0 || pid > INT_MAX - n)) {
    table().next_pid.store(100 + n, std::memory_order_relaxed);
    pid = 100;
  }
  return pid;
}

bool is_high_locked(const Table& tb, int pid) KT_REQUIRES(tb.lock) {
  return std::find(tb.high.begin(), tb.high.end(), pid) != tb.high.end();
}

int next_pid(ThreadCache* cache) {
  if (!cache) return take_pids(1);
  if (cache->pid_next == cache->pid_end) {
    cache->pid_next = take_pids(ThreadCache::kPidBatch);
    cache->pid_end = cache->pid_next + ThreadCache::kPidBatch;
  }
  return cache->pid_next++;
}

// alloc_pid() is the next pid from the cursor. A high pid sits at or above
// the cursor, where the cursor had not been yet (see alloc_high_pid), so the
// cursor skips it when it gets there. With no high pid alive (the rule) that
// costs one load of a line this allocation has just written.
//
// The cursor's fetch_add and the nhigh load here, like the nhigh fetch_add
// and the cursor load in alloc_high_pid, are sequentially consistent: either
// the high pid is chosen above a pid taken at the same time, or the taker
// sees nhigh and checks the set under the lock the chooser holds.
int alloc_pid(ThreadCache* cache) {
  Table& tb = table();
  for (;;) {
    const int pid = next_pid(cache);
    if (KT_LIKELY(tb.nhigh.load(std::memory_order_seq_cst) == 0)) return pid;
    SpinGuard g(tb.lock);
    if (!is_high_locked(tb, pid)) return pid;
  }
}

// alloc_high_pid() is FreeBSD fork1's RFHIGHPID pid: the first pid not in use
// from max(cursor, 10) up, taken without moving the cursor, so daemons made
// at boot get pids of 10 and up and the threads after them go on from where
// the cursor was. Pids at or above the cursor are in use only as high pids.
int alloc_high_pid() {
  Table& tb = table();
  SpinGuard g(tb.lock);
  tb.nhigh.fetch_add(1, std::memory_order_seq_cst);
  int pid = std::max(tb.next_pid.load(std::memory_order_seq_cst), kHighPidMin);
  while (is_high_locked(tb, pid)) pid++;
  tb.high.push_back(pid);
  return pid;
}

void release_high_pid(int pid) {
  Table& tb = table();
  SpinGuard g(tb.lock);
  auto it = std::find(tb.high.begin(), tb.high.end(), pid);
  if (it == tb.high.end()) return;
  *it = tb.high.back();
  tb.high.pop_back();
  tb.nhigh.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace

unsigned proctab::nslabs() { return table().nslabs.load(std::memory_order_acquire); }
KThread* proctab::slab(unsigned i) {
  return table().base.load(std::memory_order_acquire) + size_t(i) * kSlabSize;
}

KThread* proctab::lookup(kt_tid_t tid) {
  const uint64_t idx = (tid & 0xffffffffu);
  if (idx == 0) return nullptr;
  const uint64_t i = idx - 1;
  Table& tb = table();
  if (i >= uint64_t(tb.nslabs.load(std::memory_order_acquire)) * kSlabSize) return nullptr;
  KThread* t = tb.base.load(std::memory_order_relaxed) + i;
  if (t->gen_.load(std::memory_order_acquire) != uint32_t(tid >> 32)) return nullptr;
  if (t->state_.load(std::memory_order_acquire) == ThreadState::kFree) return nullptr;
  return t;
}

KThread* proctab::from_address(const void* p) {
  KThread* t = slot_at(p);
  if (!t || t->state_.load(std::memory_order_acquire) == ThreadState::kFree) return nullptr;
  return t;
}

KThread* proctab::slot_at(const void* p) {
  Table& tb = table();
  const unsigned n = tb.nslabs.load(std::memory_order_acquire);
  const auto base = reinterpret_cast<uintptr_t>(tb.base.load(std::memory_order_relaxed));
  const auto a = reinterpret_cast<uintptr_t>(p);
  if (!base || a < base || a - base >= sizeof(KThread) * kSlabSize * n) return nullptr;
  const uintptr_t slot = base + (a - base) / sizeof(KThread) * sizeof(KThread);
  return reinterpret_cast<KThread*>(slot);  // NOLINT(performance-no-int-to-ptr): a slot address
}

namespace {

KThread* alloc_slot(ThreadCache* cache, int* err, bool exempt, bool high_pid) {
  Table& tb = table();
  // maxproc: one slot of this vCPU's credit, one locked operation on its own
  // cache line; the table only when the credit runs out.
  if (!cache || cache->credit.fetch_sub(1, std::memory_order_relaxed) <= 0) {
    if (cache) cache->credit.fetch_add(1, std::memory_order_relaxed);
    if (!reserve_slow(tb, cache, exempt)) {
      *err = EAGAIN;
      return nullptr;
    }
  }
  KThread* t = nullptr;
  if (cache && cache->count > 0) {
    t = cache->t[cache->head];
    cache->head = (cache->head + 1) & (ThreadCache::kMax - 1);
    cache->count--;
  } else {
    SpinGuard g(tb.lock);
    if (!tb.free_head && !grow(tb)) {
      tb.reserved.fetch_sub(1, std::memory_order_relaxed);
      *err = ENOMEM;
      return nullptr;
    }
    t = pop_free_locked(tb);
    // Refill the cache while we hold the lock anyway.
    if (cache) {
      while (cache->count < ThreadCache::kMax / 2 && tb.free_head) {
        cache->t[(cache->head + cache->count) & (ThreadCache::kMax - 1)] = pop_free_locked(tb);
        cache->count++;
      }
    }
  }
  KT_ASSERT(t->state_.load(std::memory_order_relaxed) == ThreadState::kFree);
  t->magic_ = kThreadMagic;
  t->pid_ = high_pid ? alloc_high_pid() : alloc_pid(cache);
  return t;
}

}  // namespace

KThread* proctab::alloc(ThreadCache* cache, int* err, bool exempt) {
  return alloc_slot(cache, err, exempt, false);
}

KThread* proctab::alloc_high(ThreadCache* cache, int* err, bool exempt) {
  return alloc_slot(cache, err, exempt, true);
}

void proctab::retire_locked(KThread* t) {
  KT_ASSERT(t->magic_ == kThreadMagic);
  // The generation moves under lock_, so a joiner or suspender that
  // validated the handle under lock_ cannot see the slot change under it;
  // lock-free lookups read it with acquire.
  t->gen_.store(t->gen_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  t->magic_ = kFreeMagic;
  // The slabs are not heap memory: a leak checker cannot see what they
  // point to, so nothing allocated outlives the descriptor's use.
  delete t->notes_;
  t->notes_ = nullptr;
  t->state_.store(ThreadState::kFree, std::memory_order_release);
}

void proctab::release(KThread* t, ThreadCache* cache) {
  Table& tb = table();
  if (KT_UNLIKELY(tb.nhigh.load(std::memory_order_relaxed) != 0)) release_high_pid(t->pid_);
  if (!cache) {
    tb.reserved.fetch_sub(1, std::memory_order_relaxed);
    SpinGuard g(tb.lock);
    push_free_locked(tb, t);
    return;
  }
  // The slot of maxproc becomes this vCPU's credit; past two batches, one
  // goes back to the table.
  int c = cache->credit.fetch_add(1, std::memory_order_relaxed) + 1;
  if (c > 2 * ThreadCache::kCreditBatch &&
      cache->credit.compare_exchange_strong(c, c - ThreadCache::kCreditBatch,
                                            std::memory_order_relaxed))
    tb.reserved.fetch_sub(ThreadCache::kCreditBatch, std::memory_order_relaxed);
  if (cache->count < ThreadCache::kMax) {
    cache->t[(cache->head + cache->count) & (ThreadCache::kMax - 1)] = t;
    cache->count++;
    return;
  }
  SpinGuard g(tb.lock);
  push_free_locked(tb, t);
}

void proctab::free(KThread* t, ThreadCache* cache) {
  {
    SpinGuard g(t->lock_);
    retire_locked(t);
  }
  release(t, cache);
}

void thread_cache_drain(ThreadCache* c) {
  Table& tb = table();
  SpinGuard g(tb.lock);
  for (; c->count > 0; c->count--) {
    push_free_locked(tb, c->t[c->head]);
    c->head = (c->head + 1) & (ThreadCache::kMax - 1);
  }
  reclaim(tb, c);
  if (c->holder) {
    ThreadCache** pp = &tb.holders;
    while (*pp != c) pp = &(*pp)->next_holder;
    *pp = c->next_holder;
    c->holder = false;
  }
}

void proctab::set_maxproc(unsigned n) {
  table().maxproc.store(n > unsigned(INT_MAX) ? INT_MAX : int(n), std::memory_order_relaxed);
}

unsigned proctab::nprocs() {
  unsigned n = 0;
  for_each([&](KThread*) { n++; });
  return n;
}

}  // namespace kt
