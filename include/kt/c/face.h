/*
 * kt/c/face.h - what a face (the FreeBSD, OpenBSD, NetBSD, Plan 9 and AIX
 * interfaces) needs beyond the rest of the kt_* ABI: a per-thread area for
 * its view of the thread, and the kernel console.
 *
 * Every kernel thread has one face area of KT_FACE_AREA bytes, 64-byte
 * aligned, zeroed at creation and filled by the creating face through
 * kt_thread_attr.init before the thread can run. It is where a face keeps
 * its struct proc, lwp_t or Proc, so the pointer it hands out is the area's
 * address. Areas are type-stable: a pointer into one never faults, and
 * kt_face_owner() says whether it still belongs to a live thread.
 */
#ifndef KT_C_FACE_H
#define KT_C_FACE_H

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KT_FACE_AREA 256

/* kt_face_area() is t's area, NULL for a stale handle. */
void* kt_face_area(uint64_t t);
/* kt_face_owner() is the live thread whose area starts at p, or 0. */
uint64_t kt_face_owner(const void* p);
/* kt_face_valid() says whether p is the start of some thread's area, live
 * or not: a face can then read its own record there (areas are type-stable,
 * and keep their contents until the slot is reused) to tell a stale handle
 * (ESRCH) from a pointer that never was one (EINVAL). */
int kt_face_valid(const void* p);

/* kt_face_self() is the calling kernel thread's area, NULL on a host thread. */
void* kt_face_self(void);

/* kt_printf() prints on the kernel console (kt_config.console). */
void kt_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void kt_vprintf(const char* fmt, va_list ap);

/* kt_panic() prints "panic: <message>" naming the current thread, and aborts. */
void kt_panic(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#ifdef __cplusplus
}
#endif

#endif /* KT_C_FACE_H */
