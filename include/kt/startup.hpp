// Start-up and shutdown for C++ code (kt/c/startup.h has the contracts).
//
//   void attach(const void*);
//   static kt::Sysinit attach_rec(kt::kSubDrivers, 1, attach);  // runs in kt_boot
//
//   kt::defer([] { ... });        // before boot: runs once the system is up
//
//   kt::ShutdownHandler flush(kt::ShutdownList::kPreSync, 100, [](int howto) { ... });
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "kt/c/startup.h"
#include "kt/error.hpp"

namespace kt {

// Sysinit: a start-up record, registered while it lives. kt_boot runs the
// records in (subsystem, order) order, in a kernel thread, before the system
// is declared up; a record registered once the system is up runs at once.
// Registering never allocates, so a Sysinit may be a static object (C++
// static initialisation runs before main).
class Sysinit {
 public:
  Sysinit(unsigned subsystem, unsigned order, void (*func)(const void*),
          const void* udata = nullptr)
      : si_{subsystem, order, func, udata, nullptr, 0} {
    kt_sysinit_register(&si_);
  }
  ~Sysinit() { kt_sysinit_deregister(&si_); }
  Sysinit(const Sysinit&) = delete;
  Sysinit& operator=(const Sysinit&) = delete;

 private:
  kt_sysinit si_;
};

// defer() runs f once the system is up: queued before, called at once after
// (OpenBSD's kthread_create_deferred; a deferral made while the queue drains
// runs before what is left of it). f is copied to the heap until it runs.
template <typename F>
void defer(F f) {
  auto* held = new F(std::move(f));
  kt_defer(
      [](void* p) {
        std::unique_ptr<F> g(static_cast<F*>(p));
        (*g)();
      },
      held);
}

enum class ShutdownList {
  kPreSync = KT_SHUTDOWN_PRE_SYNC,
  kPostSync = KT_SHUTDOWN_POST_SYNC,
  kFinal = KT_SHUTDOWN_FINAL,
};

// ShutdownHandler: handler(howto) runs in kt_shutdown, on its list, lower
// priorities (0..20000) first, while the object lives. Throws
// Error(EINVAL) for a priority out of range.
class ShutdownHandler {
 public:
  ShutdownHandler(ShutdownList list, int priority, std::function<void(int howto)> handler)
      : list_(list), handler_(std::move(handler)) {
    tag_ = kt_shutdown_register(
        int(list), [](void* p, int howto) { static_cast<ShutdownHandler*>(p)->handler_(howto); },
        this, priority);
    if (!tag_) throw Error(EINVAL, "kt::ShutdownHandler: priority must be 0..20000");
  }
  ~ShutdownHandler() { kt_shutdown_deregister(int(list_), tag_); }
  ShutdownHandler(const ShutdownHandler&) = delete;
  ShutdownHandler& operator=(const ShutdownHandler&) = delete;

 private:
  ShutdownList list_;
  std::function<void(int)> handler_;
  void* tag_ = nullptr;
};

}  // namespace kt
