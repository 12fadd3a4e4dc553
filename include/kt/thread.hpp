// kt::Thread: kernel threads for C++ code.
//
//   kt::Thread t({.name = "worker", .cpu = 1}, [&] { ... });
//   t.join();                       // or let the destructor join
//
// A Thread is a move-only handle. Joinable threads (the default) exit only
// once joined; the destructor of a joinable handle joins. detach() gives up
// the right to join, and the thread then frees itself when it exits; the
// handle can still be asked about it and reports kt::State::kGone after.
//
// Inside a kernel thread, kt::this_thread gives the calling thread's id,
// yield(), preempt() and exit(). exit() unwinds: destructors of the frames it
// leaves run (catch (...) blocks run too and must rethrow).
//
// thread_local inside a kernel thread names the *host* thread's variable,
// and a kernel thread may move to another host thread at any switch, so
// never keep kernel-thread state in thread_local.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "kt/c/thread.h"
#include "kt/error.hpp"

namespace kt {

enum class SchedClass { kRoundRobin = KT_SCHED_RR, kTimeShare = KT_SCHED_TS };

enum class State {
  kGone = KT_FREE,
  kIdle = KT_IDLE_STATE,
  kRunnable = KT_RUNNABLE,
  kRunning = KT_RUNNING,
  kSleeping = KT_SLEEPING,
  kSuspended = KT_SUSPENDED,
  kBroken = KT_BROKEN,
  kZombie = KT_ZOMBIE,
  kHostcall = KT_HOSTCALL,
};
const char* to_string(State s);

inline constexpr int kAnyCpu = -1;

// ThreadOptions: how a thread is made. Priorities are the internal scale of
// kt/c/thread.h (0 most urgent .. 255).
struct ThreadOptions {
  std::string name = "kthread";
  int priority = -1;  // -1: the class's default (KT_PRI_KERNEL / KT_PRI_TIMESHARE)
  SchedClass sched = SchedClass::kRoundRobin;
  int cpu = kAnyCpu;   // bind to this vCPU
  bool mpsafe = true;  // false: runs holding the big kernel lock
  bool intr = false;   // an interrupt thread (needs mpsafe)
  bool joinable = true;
  bool start_idle = false;          // stays idle until start()
  size_t stack_size = 0;            // 0: the kernel's default
  std::span<std::byte> stack = {};  // run on this memory instead
};

namespace detail {
// The library side of Thread's constructor (src/api/native.cc).
void* thread_prepare(const ThreadOptions& o, void** token);
void* thread_carve(void* token, size_t size, size_t align);
void thread_launch(void* token, void (*entry)(void*), void* arg, kt_tid_t* out);
void thread_discard(void* token);
[[noreturn]] void join_failed(int err, kt_tid_t tid) noexcept;

template <typename F>
void invoke_and_destroy(void* p) {
  F* f = static_cast<F*>(p);
  // The callable lives on the thread's own stack; destroy it before the
  // thread exits, whether the call returns or exit() unwinds through here.
  struct Destroy {
    F* f;
    ~Destroy() { f->~F(); }
  } d{f};
  std::invoke(*f);
}
}  // namespace detail

class Thread {
 public:
  Thread() = default;

  // Thread() creates and (unless start_idle) starts a kernel thread running
  // f(). The callable is moved onto the new thread's stack: no allocation.
  // Throws kt::Error: EINVAL (bad option), EAGAIN (maxproc), ENOMEM, ENXIO
  // (no kernel booted).
  template <typename F, typename = std::enable_if_t<std::is_invocable_v<std::decay_t<F>&>>>
  Thread(const ThreadOptions& o, F&& f) : joinable_(o.joinable) {
    using Fn = std::decay_t<F>;
    void* token = nullptr;
    detail::thread_prepare(o, &token);
    void* mem = detail::thread_carve(token, sizeof(Fn), alignof(Fn));
    if (!mem) {
      detail::thread_discard(token);
      throw Error(EINVAL, "kt::Thread: callable too large for the thread's stack");
    }
    try {
      new (mem) Fn(std::forward<F>(f));
    } catch (...) {
      detail::thread_discard(token);
      throw;
    }
    detail::thread_launch(token, &detail::invoke_and_destroy<Fn>, mem, &tid_);
  }

  template <typename F, typename = std::enable_if_t<std::is_invocable_v<std::decay_t<F>&>>>
  explicit Thread(F&& f) : Thread(ThreadOptions{}, std::forward<F>(f)) {}

  Thread(Thread&& o) noexcept : tid_(std::exchange(o.tid_, 0)), joinable_(o.joinable_) {}
  // Assigning over a joinable handle joins it first, as the destructor does.
  Thread& operator=(Thread&& o) noexcept {
    if (this != &o) {
      reset();
      tid_ = std::exchange(o.tid_, 0);
      joinable_ = o.joinable_;
    }
    return *this;
  }
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  // ~Thread() joins a joinable thread. A join that cannot be done there (the
  // handle's own thread destroying it, or a join begun elsewhere) is a
  // programming error a destructor cannot report: it panics, naming it.
  ~Thread() { reset(); }

  // join() waits for the thread to exit and returns its exit status.
  // Throws Error: ESRCH if already joined, EINVAL if detached or being
  // joined elsewhere, EDEADLK from the thread itself.
  int join() {
    int code = 0;
    const int rc = kt_thread_join(tid_, &code);
    if (rc == 0) {
      joinable_ = false;
    } else {
      throw Error(rc, "kt::Thread::join: " + describe());
    }
    return code;
  }

  // joinable() says whether join() may be called.
  bool joinable() const { return tid_ != 0 && joinable_; }

  // detach() gives up joining. For a joinable thread the handle's right to
  // join passes to nobody: its exit no longer waits.
  void detach();

  // start() makes a start_idle thread runnable. Throws Error(ESRCH) if it is
  // not idle.
  void start() { check(kt_thread_start(tid_), "kt::Thread::start: thread is not idle"); }

  kt_tid_t id() const { return tid_; }
  int pid() const { return kt_thread_pid(tid_); }  // -1 once gone
  State state() const {
    const int s = kt_thread_state(tid_);
    return s < 0 ? State::kGone : State(s);
  }
  int priority() const { return kt_thread_priority(tid_); }
  int cpu() const { return kt_thread_cpu(tid_); }
  std::string name() const {
    char buf[KT_MAXCOMLEN + 1];
    return kt_thread_name(tid_, buf, sizeof buf) == 0 ? std::string(buf) : std::string();
  }

 private:
  std::string describe() const { return "thread pid " + std::to_string(pid()); }
  void reset() noexcept {
    if (joinable()) {
      const int rc = kt_thread_join(tid_, nullptr);
      if (rc != 0) detail::join_failed(rc, tid_);
    }
    tid_ = 0;
    joinable_ = false;
  }

  kt_tid_t tid_ = 0;
  bool joinable_ = false;
};

namespace this_thread {

// id() is the calling kernel thread's handle id (0 on a host thread).
inline kt_tid_t id() { return kt_thread_self(); }
inline bool in_kernel_thread() { return kt_thread_self() != 0; }
inline void yield() { kt_thread_yield(); }
inline void preempt() { kt_preempt(); }
// exit() ends the calling kernel thread; see the file comment.
[[noreturn]] inline void exit(int code = 0) { kt_thread_exit(code); }

// sleep_for() sleeps the calling kernel thread (uninterruptibly).
void sleep_for(std::chrono::nanoseconds d);

}  // namespace this_thread

}  // namespace kt
