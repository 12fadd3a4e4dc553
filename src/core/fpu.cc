// FPU sections, NetBSD style (kthread_fpu_enter(9), semantics.md 5.5).
//
// The cookie is the depth before the enter: 0 for the outermost section.
// Exits must come in reverse order; the outermost one wipes the FP state
// (md/fpu.h). A thread that leaves with sections open is wiped on the way
// out: by its C++ FpuSection destructors when exit unwinds them, by
// break_self() when it breaks. What a switch keeps of a thread's FP state,
// inside a section or not, is in docs/internals/fpu.md.
#include "md/fpu.h"

#include "base/assert.h"
#include "core/thread.h"
#include "kt/c/control.h"

using namespace kt;

extern "C" int kt_fpu_enter(void) {
  KThread* t = curthread_or_panic("kthread_fpu_enter");
  return t->fpu_depth_++;
}

extern "C" void kt_fpu_exit(int cookie) {
  KThread* t = curthread_or_panic("kthread_fpu_exit");
  if (t->fpu_depth_ == 0)
    panic("kthread_fpu_exit: pid %d '%s' is not in an FPU section", t->pid_, t->name_);
  if (cookie != t->fpu_depth_ - 1)
    panic(
        "kthread_fpu_exit: pid %d '%s' passed cookie %d, expected %d: sections must end in "
        "reverse order",
        t->pid_, t->name_, cookie, t->fpu_depth_ - 1);
  if (--t->fpu_depth_ == 0) md::fpu_wipe();
}

extern "C" int kt_fpu_depth(void) {
  KThread* t = curthread();
  return t ? t->fpu_depth_ : 0;
}
