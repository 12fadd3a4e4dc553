// The life of a kernel thread: create (idle or runnable), start, exit from
// any depth, join.
//
//   alloc ──► kIdle ──start──► kRunnable ⇄ kRunning ⇄ kSleeping
//                                               │
//                                             exit ──► (joinable) kZombie ──join──► kFree
//                                                 └──► (detached) ────────────────► kFree
//
// Exit unwinds the thread's stack, as pthread_exit does, so C++ destructors
// of the frames it leaves run; catch (...) blocks run too and must rethrow.
// A joinable thread then waits for its joiner before it gives up its stack.
#pragma once

#include "core/thread.h"
#include "kt/c/thread.h"

namespace kt {

// thread_alloc() validates attr and builds an idle thread: descriptor, pid,
// name, stack (with attr->data copied to its top). Nothing is visible to the
// scheduler yet. nullptr and *err on failure, having created nothing.
KThread* thread_alloc(const kt_thread_attr* attr, void (*func)(void*), void* arg, int* err,
                      bool exempt = false);

// thread_attr_problem() says what makes a creation request invalid (for the
// EINVAL of thread_alloc), or is nullptr when it is valid.
const char* thread_attr_problem(const kt_thread_attr* attr, void (*func)(void*));

// thread_carve() reserves bytes at the top of an unlaunched thread's stack
// (for the native API's callable); nullptr if the stack is too small.
void* thread_carve(KThread* t, size_t size, size_t align);

// thread_set_entry() replaces func/arg of an unlaunched thread.
void thread_set_entry(KThread* t, void (*func)(void*), void* arg);

// thread_prepare_context() gives an unlaunched thread its initial context
// on its stack (the entry trampoline).
void thread_prepare_context(KThread* t);

// thread_release() lets a prepared thread go: runnable at once, or (KT_IDLE)
// startable by thread_start. Callers publish the handle between the two.
void thread_release(KThread* t);

// thread_launch() publishes the thread: runnable at once, or left idle
// (KT_IDLE) for thread_start.
void thread_launch(KThread* t);

// thread_discard() frees an unlaunched thread (creation failed late).
void thread_discard(KThread* t);

int thread_start(kt_tid_t tid);
// The two-step life cycle: see kt_thread_reserve / kt_thread_launch.
int thread_reserve(const kt_thread_attr* attr, kt_tid_t* out);
int thread_launch_reserved(kt_tid_t tid, const kt_launch* l);
[[noreturn]] void thread_exit(int code);
int thread_join(kt_tid_t tid, int* code);
int thread_detach(kt_tid_t tid);

}  // namespace kt
