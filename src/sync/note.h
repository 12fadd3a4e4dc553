// Notes, signals and Broken threads: how one thread interrupts another.
//
// A note (Plan 9) is text queued on the target, a signal (AIX) a bit; both
// end with kt::interrupt(), which ends the target's interruptible sleep now
// or marks the next one. Notes are never consumed by the core itself: an
// interrupted sleeper sees EINTR, and whoever wants the text takes it.
#pragma once

#include "core/thread.h"
#include "kt/c/control.h"

namespace kt {

struct NoteQueue {
  struct Note {
    char text[KT_ERRMAX];
    int flag;
  };
  Note q[KT_NNOTE];
  int n = 0;
};

// note_reset() empties t's queue at creation (the queue memory stays).
void note_reset(KThread* t);

// note_post() is kt_note_post on a live descriptor.
int note_post(KThread* t, const char* text, int flag);

// note_take() pops t's oldest note; false when there is none.
bool note_take(KThread* t, char* buf, int* flag);

// The Broken list (Plan 9's NBROKEN): break_self() parks the caller there.
[[noreturn]] void break_self(int code);

}  // namespace kt
