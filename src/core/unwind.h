// Forced unwinds: the one mechanism under kthread_exit (to the thread's
// entry) and a face's error() (Plan 9: to the innermost waserror()).
//
// The frames between the caller and a chosen frame are unwound one by one,
// as pthread_exit does: each C++ frame's destructors and catch (...) blocks
// run, C frames (no cleanups) are passed over, and nothing can stop it. When
// the unwinder has left the callees of the chosen frame, land(arg) runs; it
// never returns (it switches away for good, or longjmps into that frame).
#pragma once

#include <cstdint>

namespace kt {

// unwind_to() unwinds to the frame whose canonical frame address is
// stop_cfa (__builtin_dwarf_cfa() there) and then calls land(arg). buf
// (kUnwindBufSize bytes, 16-aligned) holds the unwind while it runs: it
// must outlive the frames unwound, so it never lives in the caller's. A
// catch (...) that swallows the unwind panics naming the thread and who (the
// function that began it). With no unwind information on the way, the
// unwinder gives up at once and land(arg) is called from here.
inline constexpr std::size_t kUnwindBufSize = 64;
[[noreturn]] void unwind_to(void* buf, uintptr_t stop_cfa, void (*land)(void*), void* arg,
                            const char* who);

}  // namespace kt
