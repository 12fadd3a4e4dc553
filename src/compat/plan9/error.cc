// Plan 9 error(9): waserror, poperror, error, nexterror on a stack of NERR
// labels per kproc (semantics.md 6.7), under the C++ rule of portfns.h:
// error() unwinds as C++ forced unwinding does, then longjmps.
//
// Why a forced unwind: Plan 9 kernel code is C and needs setjmp/longjmp
// (if(waserror()){...}), but a C++ frame between the error() and its
// waserror() has destructors that a bare longjmp would skip. The unwinder
// pops C frames as longjmp would, runs C++ cleanups on the way, and hands
// control back at each frame (stop()); at the waserror() frame we longjmp,
// as glibc does at the end of pthread_cancel's unwinding.
//
// Frames are told apart by their stack pointers: a label records the stack
// pointer of its waserror() frame, and every frame called from there has a
// canonical frame address (CFA) at or below it. This assumes a function's
// stack pointer when it calls waserror() is no lower than when it later
// calls down towards error(), which holds unless waserror() runs inside a
// scope whose variable-length arrays are gone by the time error() is called.
#include <cxxabi.h>
#include <unwind.h>

#include <csetjmp>
#include <cstring>
#include <exception>

#include "kt/c/face.h"
#include "plan9.h"

namespace {

// A kproc's error state, in its entry frame at the top of its stack: it
// lives as long as the kproc, and its pages are touched only when used.
struct ErrStack {
  Label labels[NERR];
  _Unwind_Exception exc;  // the unwind in progress: outlives the frames it crosses
  Label* target;          // where it lands
  bool unwinding;
};

constexpr uint64_t kErrorClass = 0x4b54503945525200ull;  // "KTP9ERR"

ErrStack* err_stack(Proc* p) { return static_cast<ErrStack*>(p->kt_private); }

uintptr cfa_of(void* cfa) { return reinterpret_cast<uintptr>(cfa); }

[[noreturn]] void land(ErrStack* es) {
  es->unwinding = false;
  longjmp(es->target->buf, 1);
}

// Called by the unwinder before each frame it unwinds. The first frame
// whose CFA is above the label's stack pointer is the waserror() frame:
// everything below it has been unwound. The end of the stack (or of the
// unwind information) comes first only without unwind tables; longjmp then
// crosses what is left, as in Plan 9.
_Unwind_Reason_Code stop(int, _Unwind_Action actions, _Unwind_Exception_Class, _Unwind_Exception*,
                         _Unwind_Context* ctx, void* param) {
  auto* es = static_cast<ErrStack*>(param);
  if ((actions & _UA_END_OF_STACK) || _Unwind_GetCFA(ctx) > es->target->sp) land(es);
  return _URC_NO_REASON;
}

// The C++ runtime deletes a foreign exception only when a catch (...)
// ends without rethrowing it.
void swallowed(_Unwind_Reason_Code, _Unwind_Exception*) {
  Proc* p = plan9::need_up("error");
  kt_panic("error: '%s' was swallowed by a C++ catch (...) that did not rethrow it", p->errstr);
}

// unwind_to_label() pops the innermost label and unwinds to it. caller_sp is the
// stack pointer of the frame that called error() or nexterror().
[[noreturn]] void unwind_to_label(Proc* p, const char* fn, uintptr caller_sp) {
  ErrStack* es = err_stack(p);
  if (es->unwinding)
    kt_panic("%s: '%s' raised while an error unwinds C++ frames (by a destructor?)", fn, p->errstr);
  if (p->nerrlab <= 0) kt_panic("%s: no waserror frame (error: %s)", fn, p->errstr);
  Label* l = &p->errlab[--p->nerrlab];
  if (l->sp < caller_sp)
    kt_panic(
        "%s: the waserror frame of label %d has gone (returned without poperror, or left "
        "by a C++ exception); error: %s",
        fn, p->nerrlab, p->errstr);
  es->target = l;
  es->unwinding = true;
  memset(&es->exc, 0, sizeof es->exc);
  es->exc.exception_class = kErrorClass;
  es->exc.exception_cleanup = swallowed;
  _Unwind_ForcedUnwind(&es->exc, stop, es);
  land(es);  // the unwinder could not start: no unwind information
}

}  // namespace

// A forced unwind carries no C++ object, so the catch clause that lets pexit
// through binds a reference to null: legal for this clause, and the one place
// UBSan's null check must not look.
__attribute__((no_sanitize("null"))) void plan9::run_with_labels(Proc* p, void (*func)(void*),
                                                                 void* arg) {
  ErrStack es;  // uninitialised: only the labels in use are ever written
  es.unwinding = false;
  p->kt_private = &es;
  p->nerrlab = 0;
  p->errlab = es.labels;
  try {
    func(arg);
  } catch (abi::__forced_unwind&) {
    throw;  // pexit: kt_thread_exit unwinds the whole stack
  } catch (const std::exception& e) {
    kt_panic("kproc: C++ exception '%s' reached Plan 9 code: waserror() does not catch it",
             e.what());
  } catch (...) {
    kt_panic("kproc: a C++ exception reached Plan 9 code: waserror() does not catch it");
  }
  p->errlab = nullptr;
  p->nerrlab = 0;
  p->kt_private = nullptr;
}

// waserror(): push a label for the caller's setjmp.
extern "C" __attribute__((noinline)) Label* kt_plan9_pushlabel(void) {
  Proc* p = plan9::need_up("waserror");
  if (p->nerrlab >= NERR) kt_panic("waserror: error stack overflow (NERR %d)", NERR);
  const uintptr sp = cfa_of(__builtin_dwarf_cfa());
  // A live label above ours belongs to this frame or to one of its callers.
  if (p->nerrlab > 0 && p->errlab[p->nerrlab - 1].sp < sp)
    kt_panic(
        "waserror: the waserror frame of label %d has gone (returned without poperror, "
        "or left by a C++ exception)",
        p->nerrlab - 1);
  Label* l = &p->errlab[p->nerrlab++];
  l->sp = sp;
  return l;
}

// poperror(): drop the label of the caller's waserror().
extern "C" __attribute__((noinline)) void kt_plan9_poplabel(void) {
  Proc* p = plan9::need_up("poperror");
  if (p->nerrlab <= 0) kt_panic("poperror: no waserror frame");
  if (p->errlab[p->nerrlab - 1].sp < cfa_of(__builtin_dwarf_cfa()))
    kt_panic(
        "poperror: the waserror frame of label %d has gone (returned without poperror, "
        "or left by a C++ exception)",
        p->nerrlab - 1);
  p->nerrlab--;
}

// error(): record err in up->errstr (cut to ERRMAX-1 bytes) and go back
// through the innermost waserror().
extern "C" __attribute__((noinline)) void error(char* err) {
  Proc* p = plan9::need_up("error");
  if (err != p->errstr) {
    const size_t n = err ? strnlen(err, ERRMAX - 1) : 0;
    if (n) memmove(p->errstr, err, n);
    p->errstr[n] = '\0';
  }
  unwind_to_label(p, "error", cfa_of(__builtin_dwarf_cfa()));
}

// nexterror(): go back through the next waserror() with the same errstr.
extern "C" __attribute__((noinline)) void nexterror(void) {
  unwind_to_label(plan9::need_up("nexterror"), "nexterror", cfa_of(__builtin_dwarf_cfa()));
}

extern "C" {
char Eintr[] = "interrupted";
}
