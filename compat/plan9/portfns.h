/*
 * portfns.h (Plan 9 face) - kproc(9), sleep(9), qlock(9), error(9) and
 * rendezvous for kernel processes, as Plan 9 kernel C code calls them.
 *
 * Every function is linked under a kt_plan9_ name (an asm label), so
 * Plan 9's sleep, error and wakeup never meet the C library's or another
 * face's at link time. The declarations keep Plan 9's signatures, so they
 * do clash with the C library's in one translation unit: sleep(Rendez*, ...)
 * with <unistd.h>'s sleep(unsigned), error(char*) with <error.h>'s. Kernel
 * code includes neither; keep host code in its own files.
 *
 * Decisions (semantics.md 6, 9, 10, 11):
 *   - kproc before kt_boot, kproc with a nil name or func, pexit outside a
 *     kproc (a host thread, or a kernel thread kproc did not make, where up
 *     is nil), error() or nexterror() with no waserror() frame, poperror()
 *     with none, and waserror() past NERR labels are fatal, as are a second
 *     sleeper on a Rendez and qunlock of a lock not held;
 *   - postnote of nil, of a process that is gone or of a Broken one returns 0
 *     and interrupts nothing (9front); a full queue drops the text, returns 0
 *     and still interrupts; dolock is accepted (there is no debugger lock);
 *   - a kproc whose func returns ends as pexit("kproc exiting", 0): Broken;
 *   - pexit with a pending NDebug note prints "<text> <pid>: suicide: <note>"
 *     and ends Broken whatever freemem says;
 *   - text is the whole name (no limit); a full process table makes kproc
 *     wait for a slot, looking again every millisecond (9front waits too,
 *     but also releases the Broken processes);
 *   - priorities: Plan 9's 0..19 (higher more urgent) run at 130 - 2*pri on
 *     the core's scale, so PriKproc is 104, in the kernel band.
 *
 * THE C++ RULE. error() returns to the innermost waserror() as in Plan 9,
 * but the frames in between are unwound first (a forced unwind, as
 * kthread_exit's), then the label's longjmp completes it: so C++ frames
 * between a waserror() and the error() that returns to it have their
 * destructors run, and C frames (which have none) are passed as before.
 * A catch (...) on the way sees the unwind and must rethrow; one that
 * swallows it is fatal. The function that calls waserror() itself must hold
 * no C++ object with a destructor in the scope the longjmp returns into (as
 * with any setjmp). The reverse is not allowed: a C++ exception (such as the
 * native API's kt::Interrupted) must not leave through C frames that hold
 * waserror() labels; catch it below them and call error() instead.
 */
#ifndef _KT_PLAN9_PORTFNS_H_
#define _KT_PLAN9_PORTFNS_H_

#include "portdat.h"

#ifdef __cplusplus
extern "C" {
#endif

#define __KT_P9(name) __asm__("kt_plan9_" #name)

void kproc(char* name, void (*func)(void*), void* arg) __KT_P9(kproc);
void pexit(char* note, int freemem) __KT_P9(pexit) __attribute__((noreturn));
int postnote(Proc* p, int dolock, char* n, int flag) __KT_P9(postnote);

void sleep(Rendez* r, int (*f)(void*), void* arg) __KT_P9(sleep);
void tsleep(Rendez* r, int (*f)(void*), void* arg, ulong ms) __KT_P9(tsleep);
Proc* wakeup(Rendez* r) __KT_P9(wakeup);
int return0(void* arg) __KT_P9(return0);

void qlock(QLock* q) __KT_P9(qlock);
int canqlock(QLock* q) __KT_P9(canqlock);
void qunlock(QLock* q) __KT_P9(qunlock);
void eqlock(QLock* q) __KT_P9(eqlock);

uintptr rendezvous(uintptr tag, uintptr value) __KT_P9(rendezvous);

void error(char* err) __KT_P9(error) __attribute__((noreturn));
void nexterror(void) __KT_P9(nexterror) __attribute__((noreturn));

/* up: the current process (nil outside a kproc). */
Proc* kt_plan9_up(void) __KT_P9(up);
#define up (kt_plan9_up())

/* The label stack. waserror() must expand to setjmp in the caller's frame. */
Label* kt_plan9_pushlabel(void) __KT_P9(pushlabel);
#define waserror() (setjmp(kt_plan9_pushlabel()->buf))
#define poperror() (kt_plan9_poplabel())
void kt_plan9_poplabel(void) __KT_P9(poplabel);

extern char Eintr[] __KT_P9(Eintr); /* "interrupted" */

#ifdef __cplusplus
}
#endif

#endif /* _KT_PLAN9_PORTFNS_H_ */
