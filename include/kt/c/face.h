/*
 * kt/c/face.h - what a face (the FreeBSD, OpenBSD, NetBSD, Plan 9 and AIX
 * interfaces) needs beyond the rest of the kt_* ABI: a per-thread area for
 * its view of the thread, owned by the face that created the thread; the
 * tick conversion every BSD face uses; and the kernel console.
 *
 * Every kernel thread has one face area of KT_FACE_AREA bytes, 64-byte
 * aligned, zeroed at creation. The face that creates a thread claims the
 * area and fills it in its kt_thread_attr.init callback, before the thread
 * can run: that is where it keeps its struct proc, lwp_t or Proc, so the
 * pointer it hands out is the area's address. A thread no face created (the
 * kernel's own "swapper" and "shutdown", native threads) has an area no face
 * owns, and a face never takes another face's record for one of its own.
 *
 * Areas are type-stable: a pointer into one never faults, and an area keeps
 * its contents and its owner until the slot is reused by a new thread, so a
 * face can tell a handle that has gone (ESRCH) from one that never was.
 */
#ifndef KT_C_FACE_H
#define KT_C_FACE_H

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The bytes of an area a face may use (the core keeps the owner apart). */
#define KT_FACE_AREA 248

/* The owners of areas. */
enum kt_face {
  KT_FACE_NONE = 0, /* no face: a thread the core or the native API made */
  KT_FACE_FREEBSD = 1,
  KT_FACE_OPENBSD = 2,
  KT_FACE_NETBSD = 3,
  KT_FACE_PLAN9 = 4,
  KT_FACE_AIX = 5,
};

/*
 * kt_face_claim() makes face the owner of area, the area kt_thread_attr.init
 * was handed. Call it from init, before the thread can run. Never sleeps.
 */
void kt_face_claim(void* area, int face);

/*
 * kt_face_self() is the calling kernel thread's area when face owns it;
 * NULL on a host thread and in a thread face did not create. Never sleeps.
 */
void* kt_face_self(int face);

/* kt_face_area() is t's area when t is live and face owns it, else NULL. */
void* kt_face_area(uint64_t t, int face);

/*
 * kt_face_handle() names the thread of a face's record: p is the start of an
 * area face owns. 0 and *t (when t is not NULL) for a live thread; ESRCH for
 * a thread that has gone (its slot not reused yet); EINVAL for a pointer that
 * is no area of face's (NULL, a record of another face, a copy, proc0).
 */
int kt_face_handle(const void* p, int face, uint64_t* t);

/*
 * kt_ticks_ns() converts a BSD timeout of ticks at hz per second into
 * nanoseconds for kt_sleep and friends: 0 stays 0 (no timeout), a negative
 * count is one tick (FreeBSD's callout clamps it so; semantics.md 10.14).
 * A face passes its own hz, read at each call; hz <= 0 panics, naming the
 * face's function (a tick rate is set before boot, and never to nonsense).
 */
uint64_t kt_ticks_ns(int ticks, int hz, const char* fn);

/*
 * kt_unwind_to() unwinds the calling kernel thread's frames one by one, as
 * kthread_exit does, running each C++ frame's destructors and catch (...)
 * blocks (C frames have none), until the callees of the frame whose
 * canonical frame address is cfa (__builtin_dwarf_cfa() in that frame) are
 * gone; then it calls land(arg), which must not return (a longjmp into that
 * frame, say). buf (KT_UNWIND_BUF bytes, 16-aligned) holds the unwind while
 * it runs, so it must outlive the frames unwound: never in the caller's
 * frame. A catch (...) that swallows the unwind panics, naming the thread
 * and who. With no unwind information on the way, land(arg) runs at once.
 * Plan 9's error() reaches waserror() with it.
 */
#define KT_UNWIND_BUF 64
void kt_unwind_to(void* buf, uintptr_t cfa, void (*land)(void*), void* arg, const char* who)
    __attribute__((noreturn));

/* kt_printf() prints on the kernel console (kt_config.console). */
void kt_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void kt_vprintf(const char* fmt, va_list ap);

/* kt_panic() prints "panic: <message>" naming the current thread, and aborts. */
void kt_panic(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#ifdef __cplusplus
}
#endif

#endif /* KT_C_FACE_H */
