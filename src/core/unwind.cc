#include "core/unwind.h"

#include <unwind.h>

#include <cstring>

#include "base/assert.h"
#include "core/thread.h"

namespace kt {
namespace {

struct Unwind {
  _Unwind_Exception exc;  // first: the unwinder's callbacks get its address
  uintptr_t stop_cfa;
  void (*land)(void*);
  void* arg;
  const char* who;
};
static_assert(sizeof(Unwind) <= kUnwindBufSize, "kUnwindBufSize holds an unwind");

Unwind* of(_Unwind_Exception* exc) { return reinterpret_cast<Unwind*>(exc); }

// A context's CFA is that of the frame the unwinder has just left (libgcc
// computes it on the way out): once it reaches stop_cfa every callee of the
// chosen frame has run its cleanups, and that frame's own handlers must not
// be reached. The end of the stack (frames without unwind information) ends
// the unwind too.
_Unwind_Reason_Code stop(int, _Unwind_Action actions, _Unwind_Exception_Class,
                         _Unwind_Exception* exc, _Unwind_Context* ctx, void*) {
  Unwind* u = of(exc);
  if ((actions & _UA_END_OF_STACK) || _Unwind_GetCFA(ctx) >= u->stop_cfa) {
    u->land(u->arg);
    panic("%s: the landing of its unwind returned", u->who);
  }
  return _URC_NO_REASON;
}

// The unwind was destroyed before it arrived: a catch (...) that did not
// rethrow. The code would carry on past a call that must not return, so it
// is a panic (glibc aborts alike for pthread_exit: "exception not rethrown").
void swallowed(_Unwind_Reason_Code, _Unwind_Exception* exc) {
  KThread* t = curthread();
  panic(
      "kernel thread pid %d '%s': %s's unwind was caught and not rethrown (a catch (...) must "
      "rethrow)",
      t ? t->pid_ : -1, t ? t->name_ : "?", of(exc)->who);
}

}  // namespace

// No scoped objects in this frame: the unwind abandons it, and under ASan a
// scope left poisoned here would trip the unwinder's helpers.
void unwind_to(void* buf, uintptr_t stop_cfa, void (*land)(void*), void* arg, const char* who) {
  KT_ASSERT(reinterpret_cast<uintptr_t>(buf) % 16 == 0);
  auto* u = static_cast<Unwind*>(buf);
  memset(u, 0, sizeof *u);
  u->exc.exception_class = 0x4b54554e57494e44ull;  // "KTUNWIND"
  u->exc.exception_cleanup = swallowed;
  u->stop_cfa = stop_cfa;
  u->land = land;
  u->arg = arg;
  u->who = who;
  _Unwind_ForcedUnwind(&u->exc, stop, nullptr);
  land(arg);  // the unwinder gave up
  panic("%s: the landing of its unwind returned", who);
}

}  // namespace kt
