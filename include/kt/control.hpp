// Suspension, notes and FPU sections for C++ code (kt/c/control.h has the
// contracts in full).
//
//   kt::suspend(worker, 100ms);          // true once the worker acknowledged
//   ... kt::this_thread::suspend_check() in the worker's loop ...
//   kt::resume(worker);
//
//   kt::post_note(worker, "unbind");     // its interruptible wait throws
//   try { kt::sleep(&q, "q", {}, kt::Interruptible::kYes); }
//   catch (const kt::Interrupted& n) { ... n.note() == "unbind" ... }
//
//   { kt::FpuSection fpu; ...SIMD... }   // registers wiped on the way out
#pragma once

#include <chrono>
#include <string_view>

#include "kt/c/control.h"
#include "kt/error.hpp"
#include "kt/thread.hpp"

namespace kt {

enum class NoteFlag { kUser = KT_NOTE_USER, kExit = KT_NOTE_EXIT, kDebug = KT_NOTE_DEBUG };

// suspend() asks t to suspend and waits up to timeout (zero: forever) for
// its acknowledgement: true when acknowledged (or resumed meanwhile), false
// on timeout (the request stays pending). Throws Error: ESRCH (t is gone),
// EDEADLK (suspending oneself with no timeout). May sleep.
inline bool suspend(const Thread& t, std::chrono::nanoseconds timeout = {}) {
  const int rc = kt_suspend(t.id(), timeout.count() > 0 ? uint64_t(timeout.count()) : 0);
  if (rc == EWOULDBLOCK) return false;
  check(rc, "kt::suspend");
  return true;
}

// resume() cancels a suspension request and wakes t. Throws Error(ESRCH).
inline void resume(const Thread& t) { check(kt_resume(t.id()), "kt::resume"); }

// post_note() queues text on t and interrupts it; false when t's queue was
// full and the text was dropped (t is interrupted all the same). Throws
// Error(ESRCH) when t is gone.
inline bool post_note(const Thread& t, std::string_view text, NoteFlag flag = NoteFlag::kUser) {
  const std::string s(text);
  const int rc = kt_note_post(t.id(), s.c_str(), int(flag));
  if (rc < 0) throw Error(ESRCH, "kt::post_note: thread is gone");
  return rc == 1;
}

// signal() posts sig (1..64) to t: unless t blocks it, t's interruptible
// wait throws kt::Interrupted. Throws Error: ESRCH (t is gone), EINVAL (sig).
inline void signal(const Thread& t, int sig) { check(kt_signal(t.id(), sig), "kt::signal"); }

// FpuSection: an FPU section for the scope; the outermost one wipes every
// vector and x87 register and loads the default control words when it ends,
// also when an exit unwinds it. Kernel threads only. Across any kernel call
// a thread keeps its MXCSR and x87 control word and the values of its
// variables, but not register contents (kt/c/control.h has the details).
class FpuSection {
 public:
  FpuSection() : cookie_(kt_fpu_enter()) {}
  ~FpuSection() { kt_fpu_exit(cookie_); }
  FpuSection(const FpuSection&) = delete;
  FpuSection& operator=(const FpuSection&) = delete;

 private:
  int cookie_;
};

namespace this_thread {
// suspend_check() honours a pending suspension request on the caller.
inline void suspend_check() { kt_suspend_check(kt_thread_self()); }
// block_signals() sets the signals the caller blocks (bit sig-1) and returns the
// set it replaces.
inline uint64_t block_signals(uint64_t blocked) { return kt_sigmask(blocked); }
}  // namespace this_thread

}  // namespace kt
