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

// Slabs are mapped once and never unmapped, even across reboots: a stale
// pointer or handle from an earlier boot still lands on a descriptor.
// The read-mostly slab index (read by every handle lookup) and the counters
// written by every create and exit live on different cache lines.
struct Table {
  std::atomic<KThread*> slabs[proctab::kMaxSlabs] = {};
  std::atomic<unsigned> nslabs{0};
  std::atomic<unsigned> maxproc{KT_DEFAULT_MAXPROC};
  alignas(64) std::atomic<unsigned> nprocs{0};
  std::atomic<int> next_pid{1};
  std::atomic<unsigned> nhigh{0};  // live high pids: pid allocation skips them
  alignas(64) SpinLock lock;       // leaf; slow path only
  std::vector<KThread*> free KT_GUARDED_BY(lock);
  std::vector<int> high KT_GUARDED_BY(lock);  // the pids of live KT_HIGHPID threads
};

Table& table() {
  static Table* t = new Table;  // never destroyed: outlives every kernel
  return *t;
}

bool grow(Table& tb) KT_REQUIRES(tb.lock) {
  const unsigned n = tb.nslabs.load(std::memory_order_relaxed);
  if (n == proctab::kMaxSlabs) return false;
  void* p = mmap(nullptr, sizeof(KThread) * proctab::kSlabSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  KThread* s = static_cast<KThread*>(p);
  for (unsigned i = 0; i < proctab::kSlabSize; i++) {
    new (&s[i]) KThread;
    s[i].index_ = n * proctab::kSlabSize + i;
  }
  tb.slabs[n].store(s, std::memory_order_release);
  tb.nslabs.store(n + 1, std::memory_order_release);
  for (unsigned i = proctab::kSlabSize; i-- > 0;) tb.free.push_back(&s[i]);
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
KThread* proctab::slab(unsigned i) { return table().slabs[i].load(std::memory_order_acquire); }

KThread* proctab::lookup(kt_tid_t tid) {
  const uint64_t idx = (tid & 0xffffffffu);
  if (idx == 0) return nullptr;
  const uint64_t i = idx - 1;
  const unsigned s = unsigned(i / kSlabSize);
  if (s >= table().nslabs.load(std::memory_order_acquire)) return nullptr;
  KThread* t = &table().slabs[s].load(std::memory_order_acquire)[i % kSlabSize];
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
  auto a = reinterpret_cast<uintptr_t>(p);
  const unsigned n = table().nslabs.load(std::memory_order_acquire);
  for (unsigned s = 0; s < n; s++) {
    auto base = reinterpret_cast<uintptr_t>(table().slabs[s].load(std::memory_order_acquire));
    if (a < base || a >= base + sizeof(KThread) * kSlabSize) continue;
    return reinterpret_cast<KThread*>(base + (a - base) / sizeof(KThread) * sizeof(KThread));
  }
  return nullptr;
}

namespace {

KThread* alloc_slot(ThreadCache* cache, int* err, bool exempt, bool high_pid) {
  Table& tb = table();
  // maxproc is one counter: exact, and an uncontended add when threads are
  // created on one vCPU at a time.
  if (tb.nprocs.fetch_add(1, std::memory_order_relaxed) >=
          tb.maxproc.load(std::memory_order_relaxed) &&
      !exempt) {
    tb.nprocs.fetch_sub(1, std::memory_order_relaxed);
    *err = EAGAIN;
    return nullptr;
  }
  KThread* t = nullptr;
  if (cache && cache->n > 0) {
    t = cache->t[--cache->n];
  } else {
    SpinGuard g(tb.lock);
    if (tb.free.empty() && !grow(tb)) {
      tb.nprocs.fetch_sub(1, std::memory_order_relaxed);
      *err = ENOMEM;
      return nullptr;
    }
    t = tb.free.back();
    tb.free.pop_back();
    // Refill the cache while we hold the lock anyway.
    if (cache) {
      while (cache->n < ThreadCache::kMax / 2 && !tb.free.empty()) {
        cache->t[cache->n++] = tb.free.back();
        tb.free.pop_back();
      }
    }
  }
  KT_ASSERT(t->state_.load(std::memory_order_relaxed) == ThreadState::kFree);
  t->magic_ = kThreadMagic;
  t->pid_ = high_pid ? alloc_high_pid() : alloc_pid(cache);
  return t;
}

}  // namespace

// alloc_high() is alloc() for a KT_HIGHPID thread. Declared here until
// core/thread.h declares it beside alloc() and thread creation calls it.
namespace proctab {
KThread* alloc_high(ThreadCache* cache, int* err, bool exempt);
}

KThread* proctab::alloc(ThreadCache* cache, int* err, bool exempt) {
  return alloc_slot(cache, err, exempt, false);
}

KThread* proctab::alloc_high(ThreadCache* cache, int* err, bool exempt) {
  return alloc_slot(cache, err, exempt, true);
}

void proctab::free(KThread* t, ThreadCache* cache) {
  KT_ASSERT(t->magic_ == kThreadMagic);
  {
    // The generation moves under lock_, so a joiner or suspender that
    // validated the handle under lock_ cannot see the slot change under it.
    SpinGuard g(t->lock_);
    t->gen_.fetch_add(1, std::memory_order_release);
    t->magic_ = kFreeMagic;
    // The slabs are not heap memory: a leak checker cannot see what they
    // point to, so nothing allocated outlives the descriptor's use.
    delete t->notes_;
    t->notes_ = nullptr;
    t->state_.store(ThreadState::kFree, std::memory_order_release);
  }
  table().nprocs.fetch_sub(1, std::memory_order_relaxed);
  if (KT_UNLIKELY(table().nhigh.load(std::memory_order_relaxed) != 0)) release_high_pid(t->pid_);
  if (cache && cache->n < ThreadCache::kMax) {
    cache->t[cache->n++] = t;
    return;
  }
  SpinGuard g(table().lock);
  table().free.push_back(t);
}

void thread_cache_drain(ThreadCache* c) {
  SpinGuard g(table().lock);
  while (c->n > 0) table().free.push_back(c->t[--c->n]);
}

void proctab::set_maxproc(unsigned n) { table().maxproc.store(n, std::memory_order_relaxed); }
unsigned proctab::nprocs() { return table().nprocs.load(std::memory_order_relaxed); }

}  // namespace kt
