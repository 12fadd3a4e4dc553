/*
 * kt/c/control.h - suspension, notes and FPU sections: the controls that
 * make kernel threads more than fibers. The faces translate these; the
 * native C++ forms are in kt/control.hpp.
 */
#ifndef KT_C_CONTROL_H
#define KT_C_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Suspension (FreeBSD kthread_suspend(9)): cooperative and acknowledged.
 *
 * kt_suspend() asks t to suspend and waits up to timo_ns (0: forever) for
 * its acknowledgement, which t gives at its next kt_suspend_check(). It
 * returns 0 when acknowledged (or when a resume woke it first: suspender and
 * suspended sleep on the same channel), EWOULDBLOCK on timeout - the request
 * stays pending and t suspends at its next check - ESRCH for a stale handle,
 * EDEADLK when a thread suspends itself with no timeout (it could never be
 * woken but by a resume). May sleep.
 */
int kt_suspend(uint64_t t, uint64_t timo_ns);

/* kt_resume() cancels t's request and wakes it (and any suspender still
 * waiting). 0 even if t was not suspended; ESRCH for a stale handle. */
int kt_resume(uint64_t t);

/*
 * kt_suspend_check() acknowledges and honours a pending request on t
 * (normally the caller itself): while the request stands the caller sleeps,
 * shown as "suspended" by ps. Returns at once when nothing is pending.
 */
void kt_suspend_check(uint64_t t);

/* kt_suspend_pending() says whether a request stands on t. */
int kt_suspend_pending(uint64_t t);

/*
 * Notes (Plan 9 postnote(9)): short messages that interrupt.
 *
 * Each thread has a queue of KT_NNOTE notes of at most KT_ERRMAX-1 bytes
 * (longer text is cut). kt_note_post() queues text (KT_NOTE_USER) and returns
 * 1, or 0 when the queue is full and the text is dropped; a system note (any
 * other flag) first empties the queue. Either way t is interrupted: its
 * interruptible sleep ends now with EINTR, or its next one does. -1 for a
 * stale handle (ESRCH).
 */
#define KT_NNOTE 5
#define KT_ERRMAX 128
enum kt_note_flag {
  KT_NOTE_USER = 0,  /* Plan 9 NUser */
  KT_NOTE_EXIT = 1,  /* NExit: deliver quietly */
  KT_NOTE_DEBUG = 2, /* NDebug: the thread ends Broken, kept for inspection */
};
int kt_note_post(uint64_t t, const char* text, int flag);

/* kt_note_take() pops the calling thread's oldest note into buf (KT_ERRMAX
 * bytes) and returns 1 with *flag set, or 0 when the queue is empty. */
int kt_note_take(char* buf, int* flag);

/* kt_note_count() is how many notes wait on t (-1 if stale). */
int kt_note_count(uint64_t t);

/*
 * Broken threads (Plan 9 pexit with freemem 0): kt_thread_break() stops the
 * calling thread for good, keeping its stack and descriptor for inspection
 * (ps shows it "broken"). At most KT_NBROKEN are kept: breaking a fifth
 * releases the oldest, which then exits. Never returns.
 */
#define KT_NBROKEN 4
void kt_thread_break(int code) __attribute__((noreturn));

/*
 * FPU sections (NetBSD kthread_fpu_enter(9)).
 *
 * kt_fpu_enter() lets the calling kernel thread use the FPU and vector
 * units and returns a cookie: 0 for the outermost section, nonzero for a
 * nested one. kt_fpu_exit(cookie) ends the section the cookie came from;
 * sections must end in LIFO order. The outermost exit zeroes every x87/MMX,
 * xmm/ymm (and on AVX-512 hosts zmm0-31 and k0-7) register and loads the
 * default control words (MXCSR 0x1f80, x87 0x037f), so nothing computed
 * inside survives; so does kt_thread_break() with a section open. Misuse
 * panics: exit without enter, a bad cookie, an order other than LIFO, use
 * from a host thread.
 *
 * What a switch keeps of a thread's floating-point state, inside a section
 * or not (docs/internals/fpu.md):
 *   - the MXCSR and the x87 control word are per thread: a rounding mode
 *     set by one thread is never seen by another, and a new thread starts
 *     with its creator's;
 *   - vector and x87 data registers are caller-saved in the SysV ABI, so
 *     values in variables survive every kernel primitive (the compiler
 *     keeps them in the thread's frame across the call), but register
 *     contents do not: a switch neither saves nor clears them, and the next
 *     thread on the host thread may read what a thread left there;
 *   - the x87 status and tag words are not per thread.
 */
int kt_fpu_enter(void);
void kt_fpu_exit(int cookie);
int kt_fpu_depth(void); /* open sections of the caller (0 outside) */

/*
 * Signals (AIX kthread_kill): kt_signal() posts sig (1..64) to t; unless t
 * blocks it, t's interruptible sleep ends with EINTR. kt_sigmask() sets the
 * caller's blocked set (a 64-bit mask, bit sig-1) and returns the old one.
 */
int kt_signal(uint64_t t, int sig);
uint64_t kt_sigmask(uint64_t mask);
uint64_t kt_sigpending(uint64_t t);

#ifdef __cplusplus
}
#endif

#endif /* KT_C_CONTROL_H */
