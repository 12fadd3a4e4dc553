// SYSINIT-style start-up, the deferred-creation queue, shutdown handlers.
#include "core/startup.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/assert.h"
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
  unsigned seq;
  bool dead;
};
SpinLock handler_lock;
std::vector<Handler*>* handlers[3] KT_GUARDED_BY(handler_lock) = {};
unsigned handler_seq KT_GUARDED_BY(handler_lock) = 0;

// Runs fn in a kernel thread called name and waits for it from this host
// thread: start-up and shutdown functions may sleep.
void run_in_kthread(const char* name, void (*fn)(void*), void* arg) {
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

void run_handlers(void* howto_p) {
  const int howto = *static_cast<int*>(howto_p);
  for (int l = 0; l < 3; l++) {
    std::vector<Handler*> list;
    {
      SpinGuard g(handler_lock);
      if (handlers[l]) list = *handlers[l];
    }
    std::stable_sort(list.begin(), list.end(), [](const Handler* a, const Handler* b) {
      return a->priority != b->priority ? a->priority < b->priority : a->seq < b->seq;
    });
    for (Handler* h : list) {
      bool dead;
      {
        SpinGuard g(handler_lock);
        dead = h->dead;
      }
      if (!dead) h->func(h->arg, howto);
    }
  }
}

}  // namespace

void startup_run() { run_in_kthread("swapper", run_sysinits, nullptr); }

void shutdown_run(int howto) {
  run_in_kthread("shutdown", run_handlers, &howto);
  // Handlers and deferrals belong to the kernel that ran; the next boot
  // starts with none. Start-up records are static and stay.
  {
    SpinGuard g(handler_lock);
    for (auto*& l : handlers) {
      if (l)
        for (Handler* h : *l) delete h;
      delete l;
      l = nullptr;
    }
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
  return h;
}

extern "C" void kt_shutdown_deregister(int list, void* tag) {
  if (list < 0 || list > 2 || !tag) return;
  SpinGuard g(handler_lock);
  // Marked, not freed: a handler list may be running; shutdown frees them.
  if (handlers[list])
    for (Handler* h : *handlers[list])
      if (h == tag) h->dead = true;
}
