// The process table: type-stable descriptor slabs, pids, maxproc.
#include <sys/mman.h>

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
  alignas(64) SpinLock lock;  // leaf; slow path only
  std::vector<KThread*> free KT_GUARDED_BY(lock);
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
  int pid = table().next_pid.fetch_add(n, std::memory_order_relaxed);
  if (KT_UNLIKELY(pid <= 0 || pid > INT_MAX - n)) {
    table().next_pid.store(100 + n, std::memory_order_relaxed);
    pid = 100;
  }
  return pid;
}

int alloc_pid(ThreadCache* cache) {
  if (!cache) return take_pids(1);
  if (cache->pid_next == cache->pid_end) {
    cache->pid_next = take_pids(ThreadCache::kPidBatch);
    cache->pid_end = cache->pid_next + ThreadCache::kPidBatch;
  }
  return cache->pid_next++;
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

KThread* proctab::alloc(ThreadCache* cache, int* err, bool exempt) {
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
  t->pid_ = alloc_pid(cache);
  return t;
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
