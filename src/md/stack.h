// Kernel-thread stacks.
//
// Stacks are mapped lazily (MAP_NORESERVE: a page costs memory only once
// touched) with a guard below each one. Default-size stacks are carved from
// large arenas and cached per vCPU, so creating a thread costs no system call
// once the cache is warm; other sizes get a mapping of their own.
//
// The guard under each stack is, in order of preference:
//   1. a guard region (madvise MADV_GUARD_INSTALL, Linux 6.13): faults like a
//      PROT_NONE page but splits no VMA, so a million guarded stacks fit
//      under the default vm.max_map_count;
//   2. a PROT_NONE page, while the mappings that costs stay within a budget
//      derived from vm.max_map_count;
//   3. an unmapped-in-spirit gap whose canary is checked at every switch.
// Stacks without a faulting guard carry a canary at their lowest word, checked
// each time their thread switches out; a fault in a guard is reported by the
// SIGSEGV handler with the thread's pid, name and stack size.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kt::md {

enum class GuardKind : uint8_t {
  kNone,       // caller's stack: canary only
  kGap,        // gap below the stack, canary only (over the mapping budget)
  kRegion,     // MADV_GUARD_INSTALL
  kProtected,  // PROT_NONE page
};
const char* to_string(GuardKind g);

struct Stack {
  char* lo = nullptr;  // lowest usable byte; the canary lives here
  size_t size = 0;     // usable bytes
  GuardKind guard = GuardKind::kNone;
  bool pooled = false;  // default size, from the arenas
  bool owned = false;   // false for a caller-supplied stack

  char* top() const { return lo + size; }
};

inline constexpr size_t kPageSize = 4096;
inline constexpr size_t kGuardSize = kPageSize;
inline constexpr size_t kMinStackSize = size_t{16} * 1024;
inline constexpr size_t kStackCacheMax = 64;

// Per-vCPU cache of default-size stacks. Owned by one vCPU; no lock. Each
// entry is the lowest usable byte of a slot with its GuardKind in the low
// bits (slots are page-aligned).
struct StackCache {
  char* lo[kStackCacheMax];
  unsigned n = 0;
  size_t size = 0;  // the default size the entries have (set when first filled)
};

// stacks_init() is called at boot with the default stack size (already
// scaled for sanitizers) and kt_config.stack_guard; stacks_fini() at
// shutdown unmaps every arena.
void stacks_init(size_t default_size, unsigned guard);
void stacks_fini();
// stacks_abandon() forgets every arena without unmapping it: a shutdown
// that left a vCPU running may still be using one.
void stacks_abandon();
size_t stack_default_size();

// stack_alloc() maps or reuses a stack of at least size bytes. cache may be
// null (a host thread creating a kernel thread). Returns false when the host
// refuses memory.
bool stack_alloc_slow(Stack* s, size_t size, StackCache* cache);
void stack_free_slow(Stack* s, StackCache* cache);

inline bool stack_alloc(Stack* s, size_t size, StackCache* cache) {
  size = (size + kPageSize - 1) & ~(kPageSize - 1);
  // Fast path: a default-size stack from this vCPU's cache, no lock.
  if (cache && cache->n > 0 && size == cache->size) {
    const auto tagged = reinterpret_cast<uintptr_t>(cache->lo[--cache->n]);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the slot address, tag bits off
    s->lo = reinterpret_cast<char*>(tagged & ~uintptr_t(kPageSize - 1));
    s->guard = GuardKind(tagged & (kPageSize - 1));
    s->size = size;
    s->pooled = true;
    s->owned = true;
    return true;
  }
  return stack_alloc_slow(s, size, cache);
}

inline void stack_free(Stack* s, StackCache* cache) {
  if (s->pooled && cache && cache->n < kStackCacheMax && s->size == cache->size) {
    cache->lo[cache->n++] = s->lo + uintptr_t(s->guard);
    *s = Stack{};
    return;
  }
  stack_free_slow(s, cache);
}
void stack_cache_drain(StackCache* cache);
// stacks_trim() gives back the pages of up to max free stacks beyond a
// reserve kept dirty for bursts; how many it trimmed. Called by idle vCPUs.
size_t stacks_trim(size_t max);

// stack_adopt() describes a caller-supplied stack [top - size, top).
void stack_adopt(Stack* s, char* top, size_t size);

// The canary guards only stacks without a faulting guard (kNone, kGap):
// writing it commits the stack's lowest page, which a guarded stack never
// needs to pay for.
inline bool stack_needs_canary(const Stack& s) { return s.guard <= GuardKind::kGap; }
void stack_set_canary(const Stack& s);
bool stack_canary_ok(const Stack& s);

// stack_touched() is the span from the top down to the lowest resident page:
// the most of the stack ever touched (since this mapping was last trimmed).
size_t stack_touched(const Stack& s);

// guard_contains() says whether addr falls in the guard (or gap) below s.
bool guard_contains(const Stack& s, const void* addr);

// overflow_handler_install() installs the SIGSEGV reporter; per host thread,
// altstack_setup() gives it a stack to run on.
void overflow_handler_install();
void altstack_setup();
void altstack_teardown();

}  // namespace kt::md
