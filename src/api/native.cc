// The library side of the native C++ API (include/kt/*.hpp).
#include <cerrno>
#include <string>

#include "base/assert.h"
#include "base/clock.h"
#include "core/kernel.h"
#include "core/lifecycle.h"
#include "core/ps.h"
#include "core/sched.h"
#include "kt/c/control.h"
#include "kt/ps.hpp"
#include "kt/sleep.hpp"
#include "kt/thread.hpp"
#include "sync/sleepq.h"

namespace kt {

const char* to_string(State s) { return to_string(ThreadState(s)); }

namespace detail {

void* thread_prepare(const ThreadOptions& o, void** token) {
  kt_thread_attr a{};
  a.name = o.name.c_str();
  a.pri = o.priority;
  a.sched = int(o.sched);
  a.cpu = o.cpu;
  a.flags = (o.mpsafe ? KT_MPSAFE : 0) | (o.intr ? KT_INTR : 0) | (o.joinable ? KT_JOINABLE : 0) |
            (o.start_idle ? KT_IDLE : 0);
  a.stack_size = o.stack_size;
  if (!o.stack.empty()) {
    a.stack_top = o.stack.data() + o.stack.size();
    a.stack_len = o.stack.size();
  }
  int err = 0;
  // A placeholder entry: the real one is set once the callable is in place.
  void (*const placeholder)(void*) = [](void*) {};
  KThread* t = thread_alloc(&a, placeholder, nullptr, &err);
  if (!t) {
    const char* why = err == EINVAL   ? thread_attr_problem(&a, placeholder)
                      : err == EAGAIN ? "maxproc kernel threads already exist"
                      : err == ENOMEM ? "no memory for a stack"
                      : err == ENXIO  ? "no kernel is booted"
                                      : "failed";
    throw Error(err, "kt::Thread '" + o.name + "': " + why);
  }
  *token = t;
  return t;
}

void throw_interrupted() {
  char buf[KT_ERRMAX];
  int flag = 0;
  if (kt_thread_self() && kt_note_take(buf, &flag)) throw Interrupted(buf, flag);
  throw Interrupted();
}

void* thread_carve(void* token, size_t size, size_t align) {
  return kt::thread_carve(static_cast<KThread*>(token), size, align);
}

void thread_launch(void* token, void (*entry)(void*), void* arg, kt_tid_t* out) {
  auto* t = static_cast<KThread*>(token);
  thread_set_entry(t, entry, arg);
  thread_prepare_context(t);
  *out = t->tid();  // the handle is the creator's before the thread runs (R1)
  thread_release(t);
  preempt();  // a primitive's preemption point: a more urgent new thread runs now
}

void thread_discard(void* token) { kt::thread_discard(static_cast<KThread*>(token)); }

void join_failed(int err, kt_tid_t tid) noexcept {
  panic("kt::Thread: the implicit join of pid %d failed (error %d: %s)", kt_thread_pid(tid), err,
        err == EDEADLK  ? "a thread destroyed its own handle"
        : err == EINVAL ? "it was joined or detached elsewhere"
                        : "stale handle");
}

}  // namespace detail

void Thread::detach() {
  if (joinable()) {
    const int rc = kt_thread_detach(tid_);
    if (rc != 0) throw Error(rc, "kt::Thread::detach: " + describe());
    joinable_ = false;
  }
}

std::vector<ProcInfo> ps() {
  std::vector<ProcInfo> out;
  for (const PsRow& r : ps_rows()) {
    ProcInfo p;
    p.id = r.tid;
    p.pid = r.pid;
    p.name = r.name;
    p.state = State(int(r.state));
    p.wmesg = r.wmesg;
    p.priority = r.pri;
    p.cpu = r.vcpu;
    p.bound = r.bound;
    p.flags = r.flags;
    p.timeshare = r.sched == KT_SCHED_TS;
    p.stack_nominal = r.stack_nominal;
    p.stack_size = r.stack_size;
    p.stack_touched = r.stack_touched;
    out.push_back(std::move(p));
  }
  return out;
}

void this_thread::sleep_for(std::chrono::nanoseconds d) {
  if (!in_kernel_thread()) throw Error(EPERM, "kt::this_thread::sleep_for: not a kernel thread");
  const uint64_t deadline = now_ns() + uint64_t(d.count() > 0 ? d.count() : 1);
  KThread* t = curthread();
  // Sleep on our own descriptor's timer word: nobody wakes it, only the
  // timeout ends the sleep.
  while (kt::sleep_on(&t->timer_seq_, "pause", 0, deadline) != EWOULDBLOCK) {
  }
}

}  // namespace kt
