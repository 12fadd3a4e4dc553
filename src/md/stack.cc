// Stack arenas, guards, canaries and the overflow reporter.
#include "md/stack.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/assert.h"
#include "base/spinlock.h"
#include "core/thread.h"
#include "kt/kernel.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace kt::md {
namespace {

constexpr uint64_t kCanary = 0x6b74687265616473ull;  // "kthreads"
constexpr size_t kArenaSlots = 256;
// Dirty free stacks kept as they are, for bursts of creation; past these
// (a few MiB of top pages) idle vCPUs trim them.
constexpr size_t kDirtyReserve = 1024;

struct Pool {
  SpinLock lock;
  size_t size = 0;  // [I] usable bytes of a default stack
  // Free slots (tagged lowest usable byte): dirty ones still hold the pages
  // their last thread touched and are reused first (no page faults); idle
  // vCPUs trim those beyond a reserve back into clean ones (stacks_trim).
  std::vector<char*> free KT_GUARDED_BY(lock);
  std::vector<char*> dirty KT_GUARDED_BY(lock);
  std::vector<std::pair<char*, size_t>> arenas KT_GUARDED_BY(lock);
  bool region_ok = true;    // MADV_GUARD_INSTALL works here
  long protect_budget = 0;  // PROT_NONE guards still allowed
};

Pool pool;

long map_count_budget() {
  long max = 65530;
  if (FILE* f = fopen("/proc/sys/vm/max_map_count", "r")) {
    if (fscanf(f, "%ld", &max) != 1) max = 65530;
    fclose(f);
  }
  // Each PROT_NONE guard costs two mappings; keep a quarter of the limit for
  // the rest of the process.
  return (max - max / 4) / 2;
}

GuardKind install_guard(char* guard) {
  if (pool.region_ok) {
    if (madvise(guard, kGuardSize, MADV_GUARD_INSTALL) == 0) return GuardKind::kRegion;
    pool.region_ok = false;
  }
  if (__atomic_sub_fetch(&pool.protect_budget, 1, __ATOMIC_RELAXED) >= 0 &&
      mprotect(guard, kGuardSize, PROT_NONE) == 0)
    return GuardKind::kProtected;
  return GuardKind::kGap;
}

bool grow_pool() KT_REQUIRES(pool.lock) {
  const size_t slot = pool.size + kGuardSize;
  const size_t len = slot * kArenaSlots;
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return false;
  char* base = static_cast<char*>(p);
  pool.arenas.emplace_back(base, len);
  for (size_t i = kArenaSlots; i-- > 0;) {
    char* guard = base + i * slot;
    char* lo = guard + kGuardSize;
    // The guard kind rides in the low bits of the page-aligned slot address,
    // so a recycled slot knows what protects it without touching its pages.
    GuardKind g = install_guard(guard);
    pool.free.push_back(lo + uintptr_t(g));
  }
  return true;
}

}  // namespace

const char* to_string(GuardKind g) {
  switch (g) {
    case GuardKind::kNone:
      return "none";
    case GuardKind::kGap:
      return "canary";
    case GuardKind::kRegion:
      return "guard-region";
    case GuardKind::kProtected:
      return "guard-page";
  }
  return "?";
}

void stacks_init(size_t default_size, unsigned guard) {
  SpinGuard g(pool.lock);
  pool.size = (default_size + kPageSize - 1) & ~(kPageSize - 1);
  pool.region_ok = guard == KT_GUARD_BEST;
  pool.protect_budget = guard == KT_GUARD_CANARY ? 0 : map_count_budget();
}

void stacks_fini() {
  SpinGuard g(pool.lock);
  for (auto& [p, len] : pool.arenas) munmap(p, len);
  pool.arenas.clear();
  pool.free.clear();
  pool.free.shrink_to_fit();
  pool.dirty.clear();
  pool.dirty.shrink_to_fit();
  pool.arenas.shrink_to_fit();
}

void stacks_abandon() {
  SpinGuard g(pool.lock);
  pool.arenas.clear();
  pool.free.clear();
  pool.dirty.clear();
}

size_t stack_default_size() { return pool.size; }

// take_free_locked() is a free slot, dirty (pages resident) first.
static char* take_free_locked() KT_REQUIRES(pool.lock) {
  std::vector<char*>& v = pool.dirty.empty() ? pool.free : pool.dirty;
  char* p = v.back();
  v.pop_back();
  return p;
}

static void take_slot(Stack* s, uintptr_t tagged) {
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the slot address, tag bits off
  s->lo = reinterpret_cast<char*>(tagged & ~uintptr_t(kPageSize - 1));
  s->guard = GuardKind(tagged & (kPageSize - 1));
  s->size = pool.size;
  s->pooled = true;
  s->owned = true;
}

bool stack_alloc_slow(Stack* s, size_t size, StackCache* cache) {
  if (size == pool.size) {
    // The cache is empty (stack_alloc() took the rest): refill it from the
    // arenas, half a cache at a time.
    SpinGuard g(pool.lock);
    if (cache) cache->size = pool.size;
    if (pool.dirty.empty() && pool.free.empty() && !grow_pool()) return false;
    take_slot(s, reinterpret_cast<uintptr_t>(take_free_locked()));
    if (cache) {
      while (cache->n < kStackCacheMax / 2 && (!pool.dirty.empty() || !pool.free.empty()))
        cache->lo[cache->n++] = take_free_locked();
    }
    return true;
  }
  // Odd sizes: a mapping of their own. Not cached; anyone who cares about
  // creation speed uses the default size.
  const size_t len = size + kGuardSize;
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return false;
  char* guard = static_cast<char*>(p);
  GuardKind gk;
  {
    SpinGuard g(pool.lock);
    gk = install_guard(guard);
  }
  s->lo = guard + kGuardSize;
  s->size = size;
  s->guard = gk;
  s->pooled = false;
  s->owned = true;
  return true;
}

void stack_free_slow(Stack* s, StackCache* cache) {
  if (!s->owned) {
    *s = Stack{};
    return;
  }
  if (s->pooled) {
    char* tagged = s->lo + uintptr_t(s->guard);
    if (cache && cache->n < kStackCacheMax && (cache->size == 0 || cache->size == s->size)) {
      cache->size = s->size;
      cache->lo[cache->n++] = tagged;
    } else {
      // Parked dirty: giving the pages back is a system call, left to the
      // vCPUs' idle time (stacks_trim).
      SpinGuard g(pool.lock);
      pool.dirty.push_back(tagged);
    }
  } else {
    munmap(s->lo - kGuardSize, s->size + kGuardSize);
  }
  *s = Stack{};
}

void stack_cache_drain(StackCache* cache) {
  SpinGuard g(pool.lock);
  while (cache->n > 0) pool.dirty.push_back(cache->lo[--cache->n]);
}

size_t stacks_trim(size_t max) {
  char* batch[64];
  size_t n = 0;
  {
    SpinGuard g(pool.lock);
    while (n < max && n < 64 && pool.dirty.size() > kDirtyReserve) {
      batch[n++] = pool.dirty.back();
      pool.dirty.pop_back();
    }
  }
  // An idle pool should not pin what a burst of deep threads once touched;
  // the top page, which any thread touches, stays.
  for (size_t i = 0; i < n; i++) {
    char* lo = batch[i] - (reinterpret_cast<uintptr_t>(batch[i]) & (kPageSize - 1));
    madvise(lo, pool.size - kPageSize, MADV_DONTNEED);
  }
  if (n) {
    SpinGuard g(pool.lock);
    pool.free.insert(pool.free.end(), batch, batch + n);
  }
  return n;
}

void stack_adopt(Stack* s, char* top, size_t size) {
  s->lo = top - size;
  s->size = size;
  s->guard = GuardKind::kNone;
  s->pooled = false;
  s->owned = false;
}

void stack_set_canary(const Stack& s) { memcpy(s.lo, &kCanary, sizeof kCanary); }

bool stack_canary_ok(const Stack& s) {
  uint64_t v;
  memcpy(&v, s.lo, sizeof v);
  return v == kCanary;
}

size_t stack_touched(const Stack& s) {
  if (!s.lo) return 0;
  const size_t pages = s.size / kPageSize;
  std::vector<unsigned char> vec(pages);
  if (mincore(s.lo, s.size, vec.data()) != 0) return 0;
  // Frames grow down from the top without gaps, so the lowest resident page
  // marks the deepest point reached. Page 0 may hold only the canary.
  for (size_t i = stack_needs_canary(s) ? 1 : 0; i < pages; i++)
    if (vec[i] & 1) return s.size - i * kPageSize;
  return 0;
}

bool guard_contains(const Stack& s, const void* addr) {
  auto a = reinterpret_cast<const char*>(addr);
  return s.lo && a < s.lo + sizeof(uint64_t) && a >= s.lo - kGuardSize;
}

// The SIGSEGV reporter. It runs on the host thread's alternate stack, since
// the faulting kernel thread's stack is exhausted.
namespace {
struct sigaction prev_segv;

void on_segv(int sig, siginfo_t* si, void* uc) {
  char buf[256];
  if (describe_overflow(si->si_addr, buf, sizeof buf)) {
    ssize_t r = write(2, buf, strlen(buf));
    (void)r;
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  // Not ours: hand it to whoever was there before, or die the default way.
  if (prev_segv.sa_flags & SA_SIGINFO) {
    if (prev_segv.sa_sigaction) return prev_segv.sa_sigaction(sig, si, uc);
  } else if (prev_segv.sa_handler != SIG_DFL && prev_segv.sa_handler != SIG_IGN) {
    return prev_segv.sa_handler(sig);
  }
  signal(SIGSEGV, SIG_DFL);
  raise(SIGSEGV);
}

constexpr size_t kAltStackSize = size_t{64} * 1024;
thread_local void* altstack_mem = nullptr;
std::once_flag handler_once;
}  // namespace

void overflow_handler_install() {
  std::call_once(handler_once, [] {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &prev_segv);
  });
}

void altstack_setup() {
  if (altstack_mem) return;
  altstack_mem =
      mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (altstack_mem == MAP_FAILED) {
    altstack_mem = nullptr;
    return;
  }
  stack_t ss;
  ss.ss_sp = altstack_mem;
  ss.ss_size = kAltStackSize;
  ss.ss_flags = 0;
  sigaltstack(&ss, nullptr);
}

void altstack_teardown() {
  if (!altstack_mem) return;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(altstack_mem, kAltStackSize);
  altstack_mem = nullptr;
}

}  // namespace kt::md
