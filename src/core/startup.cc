// SYSINIT-style start-up, the deferred-creation queue, shutdown handlers.
#include "core/startup.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <vector>

#include "base/assert.h"
#include "base/clock.h"
#include "base/futex.h"
#include "base/spinlock.h"
#include "core/kernel.h"
#include "core/lifecycle.h"
#include "kt/c/startup.h"

namespace kt {
namespace {

// Registration happens from static initialisers in any order, so these are
// constant-initialised and the records are intrusive.
SpinLock sysinit_lock;
kt_sysinit* sysinits KT_GUARDED_BY(sysinit_lock) = nullptr;
unsigned sysinit_seq KT_GUARDED_BY(sysinit_lock) = 0;
bool system_up KT_GUARDED_BY(sysinit_lock) = false;  // start-up list has run

struct Deferred {
  void (*func)(void*);
  void* arg;
};
SpinLock defer_lock;
std::vector<Deferred>* deferred KT_GUARDED_BY(defer_lock) = nullptr;
bool defer_now KT_GUARDED_BY(defer_lock) = false;  // the queue has begun to drain

struct Handler {
  void (*func)(void*, int);
  void* arg;
  int priority;
  uint64_t seq;  // unique for the life of the process: the tag
  bool dead;     // deregistered: skipped, and freed with the others at shutdown
};
SpinLock handler_lock;
std::vector<Handler*>* handlers[3] KT_GUARDED_BY(handler_lock) = {};
// Tags are sequence numbers, never addresses: a tag kept past its kernel's
// shutdown (a C++ ShutdownHandler destroyed later) can never name a handler
// of the next kernel that happens to sit at the same address.
uint64_t handler_seq KT_GUARDED_BY(handler_lock) = 0;
void* tag_of(const Handler* h) {
  // NOLINTNEXTLINE(performance-no-int-to-ptr): opaque, never dereferenced
  return reinterpret_cast<void*>(uintptr_t(h->seq + 1));
}

const char* const kListName[3] = {"shutdown_pre_sync", "shutdown_post_sync", "shutdown_final"};

// Runs fn in a kernel thread called name and waits for it from this host
// thread: start-up functions may sleep. The wait is unbounded, as a real
// kernel's boot is: start-up has nothing to fall back on. With proc0 the
// thread is proc0's own: pid 0, every kernel thread's parent.
void run_in_kthread(const char* name, void (*fn)(void*), void* arg, bool proc0 = false) {
  kt_thread_attr a{};
  a.name = name;
  a.pri = KT_PRI_KERNEL;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  int err;
  KThread* t = thread_alloc(&a, fn, arg, &err, /*exempt=*/true);
  if (!t) {
    // Out of memory for even one stack: say so, and go on without them.
    console_printf("%s: cannot create its kernel thread (error %d); skipped\n", name, err);
    return;
  }
  if (proc0) t->pid_ = 0;  // before it can run: its pid is published with it
  const kt_tid_t tid = t->tid();
  thread_launch(t);
  thread_join(tid, nullptr);
}

void run_sysinits(void*) {
  std::vector<kt_sysinit*> list;
  {
    SpinGuard g(sysinit_lock);
    for (kt_sysinit* s = sysinits; s; s = s->kt_next) list.push_back(s);
  }
  std::stable_sort(list.begin(), list.end(), [](const kt_sysinit* a, const kt_sysinit* b) {
    if (a->subsystem != b->subsystem) return a->subsystem < b->subsystem;
    if (a->order != b->order) return a->order < b->order;
    return a->kt_seq < b->kt_seq;
  });
  for (kt_sysinit* s : list) s->func(s->udata);
  {
    SpinGuard g(sysinit_lock);
    system_up = true;
  }
  // The deferred queue: "now" is set before draining, so a deferral made by
  // a queued function runs at once, ahead of the rest of the queue (R10).
  std::vector<Deferred> q;
  {
    SpinGuard g(defer_lock);
    defer_now = true;
    if (deferred) q.swap(*deferred);
  }
  for (const Deferred& d : q) d.func(d.arg);
}

}  // namespace

// One run of the shutdown handlers. kt_shutdown watches it from its host
// thread and may stop waiting while a handler is still running; the thread
// "shutdown" is then left where it stands, so everything it touches lives
// here rather than on its stack, and survives it if the kernel is abandoned.
struct ShutdownRun {
  int howto = 0;                  // [I]
  kt_tid_t thread = 0;            // [I] the kernel thread "shutdown", 0 if none could be made
  std::atomic<uint32_t> done{0};  // [a] futex word: 1 once every handler has returned
  bool started KT_GUARDED_BY(handler_lock) = false;
  bool cancelled KT_GUARDED_BY(handler_lock) = false;       // nobody waits any more: call nothing
  int list KT_GUARDED_BY(handler_lock) = 0;                 // the list being run
  std::vector<Handler*> order KT_GUARDED_BY(handler_lock);  // its handlers, in calling order
  size_t next KT_GUARDED_BY(handler_lock) = 0;              // index in order of the first not begun
  Handler* running KT_GUARDED_BY(handler_lock) = nullptr;
  // An abandoned run keeps the records its thread may still read.
  std::vector<Handler*>* kept[3] KT_GUARDED_BY(handler_lock) = {};
};

namespace {

// snapshot_list() copies list l into r->order, sorted by priority, FIFO
// within one. The copy is sized outside the lock: nothing allocates under a
// spin lock.
void snapshot_list(ShutdownRun* r, int l) {
  size_t want = 0;
  for (;;) {
    std::vector<Handler*> buf;
    buf.reserve(want);
    SpinGuard g(handler_lock);
    const size_t n = handlers[l] ? handlers[l]->size() : 0;
    if (n > buf.capacity()) {
      want = n;
      continue;
    }
    if (n) buf.assign(handlers[l]->begin(), handlers[l]->end());
    // (priority, seq) keys are unique, so sort is as stable as stable_sort,
    // without its buffer.
    std::sort(buf.begin(), buf.end(), [](const Handler* a, const Handler* b) {
      return a->priority != b->priority ? a->priority < b->priority : a->seq < b->seq;
    });
    r->order.swap(buf);  // the old order's buffer is freed after the unlock
    r->started = true;
    r->list = l;
    r->next = 0;
    return;
  }
}

void run_handlers(void* arg) {
  auto* r = static_cast<ShutdownRun*>(arg);
  for (int l = 0; l < 3; l++) {
    snapshot_list(r, l);
    for (size_t i = 0;; i++) {
      Handler* h;
      {
        SpinGuard g(handler_lock);
        if (r->cancelled) return;
        if (i == r->order.size()) break;
        h = r->order[i];
        if (h->dead) continue;
        r->next = i + 1;
        r->running = h;
      }
      h->func(h->arg, r->howto);
      SpinGuard g(handler_lock);
      r->running = nullptr;
    }
  }
  r->done.store(1, std::memory_order_release);
  futex_wake(&r->done, 1);
}

}  // namespace

void startup_run() { run_in_kthread("swapper", run_sysinits, nullptr, /*proc0=*/true); }

ShutdownRun* shutdown_start(int howto) {
  auto* r = new ShutdownRun;
  r->howto = howto;
  // Not joinable: kt_shutdown may stop waiting for it, and an exit that
  // waited for a joiner could then never finish.
  kt_thread_attr a{};
  a.name = "shutdown";
  a.pri = KT_PRI_KERNEL;
  a.cpu = -1;
  a.flags = KT_MPSAFE;
  int err;
  KThread* t = thread_alloc(&a, run_handlers, r, &err, /*exempt=*/true);
  if (!t) {
    console_printf("shutdown: cannot create its kernel thread (error %d); handlers skipped\n", err);
    return r;
  }
  r->thread = t->tid();
  thread_launch(t);
  return r;
}

bool shutdown_wait(ShutdownRun* r, uint64_t deadline) {
  if (!r->thread) return true;  // nothing runs; the failure was reported
  for (;;) {
    if (r->done.load(std::memory_order_acquire)) return true;
    if (now_ns() >= deadline) return false;
    futex_wait(&r->done, 0, deadline);
  }
}

kt_tid_t shutdown_thread(const ShutdownRun* r) { return r->thread; }

void shutdown_report(ShutdownRun* r, FILE* out, unsigned waited_ms) {
  bool started;
  Handler running{};
  int list;
  unsigned left = 0;  // handlers that never began
  {
    SpinGuard g(handler_lock);
    started = r->started;
    list = started ? r->list : -1;
    if (r->running) running = *r->running;
    if (started)
      for (size_t i = r->next; i < r->order.size(); i++) left += !r->order[i]->dead;
    for (int l = list + 1; l < 3; l++)
      if (handlers[l])
        for (const Handler* h : *handlers[l]) left += !h->dead;
  }
  if (!started)
    fprintf(out, "kt_shutdown: the shutdown handlers never ran: no vCPU took the thread in %u ms\n",
            waited_ms);
  if (running.func) {
    const void* fn = reinterpret_cast<const void*>(running.func);
    // Named when the symbol is exported (a face's kproc_shutdown in a shared library).
    Dl_info info{};
    const char* name = dladdr(fn, &info) && info.dli_sname ? info.dli_sname : nullptr;
    fprintf(out, "kt_shutdown: %s handler %s%s%p (arg %p) did not return in %u ms\n",
            kListName[list], name ? name : "", name ? " at " : "", fn, running.arg, waited_ms);
  }
  if (left)
    fprintf(out, "kt_shutdown: %u shutdown handler%s not run\n", left, left == 1 ? "" : "s");
}

void shutdown_finish(ShutdownRun* r, bool abandoned) {
  // Handlers and deferrals belong to the kernel that ran; the next boot
  // starts with none. Start-up records are static and stay.
  std::vector<Handler*>* lists[3];
  {
    SpinGuard g(handler_lock);
    r->cancelled = true;
    for (int l = 0; l < 3; l++) {
      lists[l] = handlers[l];
      handlers[l] = nullptr;
      // A thread still running in an abandoned kernel may read these.
      if (abandoned) r->kept[l] = lists[l];
    }
  }
  if (!abandoned) {
    for (auto* l : lists) {
      if (l)
        for (Handler* h : *l) delete h;
      delete l;
    }
    delete r;
  }
  {
    SpinGuard g(defer_lock);
    delete deferred;
    deferred = nullptr;
    defer_now = false;
  }
  SpinGuard g(sysinit_lock);
  system_up = false;
}

}  // namespace kt

using namespace kt;

extern "C" void kt_sysinit_register(struct kt_sysinit* si) {
  if (!si || !si->func) panic("kt_sysinit_register: NULL record or function");
  bool run_now;
  {
    SpinGuard g(sysinit_lock);
    si->kt_seq = sysinit_seq++;
    si->kt_next = sysinits;
    sysinits = si;
    run_now = system_up;
  }
  if (run_now) si->func(si->udata);
}

extern "C" void kt_sysinit_deregister(struct kt_sysinit* si) {
  SpinGuard g(sysinit_lock);
  for (kt_sysinit** p = &sysinits; *p; p = &(*p)->kt_next)
    if (*p == si) {
      *p = si->kt_next;
      return;
    }
}

extern "C" void kt_defer(void (*func)(void*), void* arg) {
  if (!func) panic("kthread_create_deferred: NULL function");
  {
    SpinGuard g(defer_lock);
    if (!defer_now) {
      if (!deferred) deferred = new std::vector<Deferred>;
      deferred->push_back({func, arg});
      return;
    }
  }
  func(arg);
}

extern "C" void* kt_shutdown_register(int list, void (*handler)(void*, int), void* arg,
                                      int priority) {
  if (list < 0 || list > 2 || !handler || priority < 0 || priority > 20000) return nullptr;
  auto* h = new Handler{handler, arg, priority, 0, false};
  SpinGuard g(handler_lock);
  h->seq = handler_seq++;
  if (!handlers[list]) handlers[list] = new std::vector<Handler*>;
  handlers[list]->push_back(h);
  return tag_of(h);
}

extern "C" void kt_shutdown_deregister(int list, void* tag) {
  if (list < 0 || list > 2 || !tag) return;
  SpinGuard g(handler_lock);
  // Marked, not freed: a handler list may be running; shutdown frees them.
  if (handlers[list])
    for (Handler* h : *handlers[list])
      if (tag_of(h) == tag) h->dead = true;
}
