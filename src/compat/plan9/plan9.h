// Internals shared by the Plan 9 face's files (proc.cc, error.cc, sleep.cc,
// qlock.cc). The decisions are listed in compat/plan9/portfns.h.
#pragma once

#include "kt/c/face.h"
#include "portfns.h"

namespace plan9 {

// Marks a face area as a kproc's Proc: threads of the other faces and of
// the native API have face areas too, holding something else.
constexpr uint kMagic = 0x39707263;  // "9prc"

// proc_at() is the Proc in a face area, or nullptr when the area belongs
// to a thread that kproc did not make.
inline Proc* proc_at(void* area) {
  auto* p = static_cast<Proc*>(area);
  return p && p->kt_magic == kMagic ? p : nullptr;
}

// need_up() is the calling kproc's Proc, with its label stack; anywhere
// else (a host thread, another face's thread) it panics naming fn.
Proc* need_up(const char* fn);

// run_with_labels() calls func(arg) for the kproc p with p's NERR labels in
// its own frame, at the top of the kproc's stack (error.cc).
void run_with_labels(Proc* p, void (*func)(void*), void* arg);

// The core's priority for Plan 9 priority pri (portdat.h).
constexpr int core_priority(int pri) { return 122 - 2 * pri; }

}  // namespace plan9
