/*
 * portfns.h (Plan 9 face) - kproc(9), sleep(9), qlock(9), error(9) and
 * rendezvous for kernel processes, as Plan 9 kernel C code calls them
 * (seed 003 and 9front's pages; semantics.md 6).
 *
 * Every function is linked under a kt_plan9_ name (an asm label), so
 * Plan 9's sleep, error and wakeup never meet the C library's at link time.
 * A translation unit still cannot declare both: include this header, not
 * <unistd.h> or <error.h>, where Plan 9 code is compiled.
 *
 * Decisions (semantics.md 6, 9, 10, 11):
 *   - kproc with a nil name or func is fatal; at maxproc it waits for a
 *     free slot (9front), it never fails. text keeps KNAMELEN-1 bytes of
 *     the name (9legacy's text[KNAMELEN]); ps shows the core's 31.
 *   - A kproc whose func returns ends as pexit("kproc exiting", 0): Broken.
 *   - pexit(note, 0) leaves the process Broken: kept, shown "broken" by ps,
 *     at most 4 (breaking a fifth lets the oldest finish dying). note is
 *     ignored (kprocs leave no wait record). pexit outside a kproc is fatal.
 *   - Kprocs never consume notes themselves. A note interrupts; the text
 *     stays queued. NDebug ("suspend the process in a Broken state"): a
 *     kproc that calls pexit while an NDebug note is queued prints
 *     "<text> <pid>: suicide: <note>" on the kernel console, as Plan 9 does
 *     for a process killed by such a note, and ends Broken whatever freemem.
 *   - postnote returns 1 when queued; 0 when the queue was full (the text
 *     is dropped, the process is interrupted all the same, as the page
 *     says); 0 and no interruption for nil, for a Proc that is not a live
 *     kproc (gone, or the slot of another face's thread) and for a Broken
 *     one. Any flag other than NUser empties the queue first. dolock is
 *     accepted and ignored: there is no debugger to synchronise with.
 *   - sleep, tsleep and eqlock raise error(Eintr) when interrupted; a note
 *     pending wins even over a true condition (eqlock: over a contended
 *     lock only). They must be called by a kproc (fatal otherwise).
 *   - A second sleeper on a Rendez is fatal ("double sleep"), as the page
 *     says (Plan 9's code only prints). qunlock of a lock the caller does
 *     not hold, and qlock of a lock it holds, are fatal; canqlock is not.
 *   - wakeup returns the Proc woken, or nil, as 9front's code does (its
 *     page declares it void; code written to the page compiles unchanged).
 *   - rendezvous is the kernel call: kernel threads share one tag space; an
 *     interrupted waiter gets all ones (~0).
 *   - error() with no waserror() frame, nexterror() or poperror() with
 *     none, and waserror() past NERR labels are fatal, as is returning to a
 *     waserror() frame that has gone (returned without poperror, or left by
 *     a C++ exception) where it can be seen.
 *
 * THE C++ RULE. error() and nexterror() unwind as C++ forced unwinding does
 * (pthread_cancel, kt_thread_exit), then longjmp into the waserror() frame:
 *   - C frames in between are popped, as in Plan 9;
 *   - C++ frames in between run their destructors, innermost first; a
 *     catch (...) sees the unwind and must rethrow it (one that swallows it
 *     is fatal); a typed catch never sees it; a noexcept frame in between
 *     terminates, as a C++ exception would;
 *   - an error() raised by a destructor while error() unwinds is fatal.
 * C++ exceptions are not Plan 9 errors: waserror() never catches one (a
 * kt::Interrupted from the native API included). C++ code called by Plan 9
 * code catches its own (and may turn one into error(Eintr) in its catch
 * block); one that reaches the kproc's func is fatal, and one that crosses a
 * waserror() frame leaves a dead label, fatal at the next waserror, poperror
 * or error that can see it. So C calls C++ and C++ calls C freely, with
 * destructors run, as long as each exception stays in its own language.
 */
#ifndef _KT_PLAN9_PORTFNS_H_
#define _KT_PLAN9_PORTFNS_H_

#include "portdat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* kproc(9). kproc may wait (for a free slot); pexit never returns. */
void kproc(char* name, void (*func)(void*), void* arg) __KT_P9(kproc);
void pexit(char* note, int freemem) __KT_P9(pexit) __attribute__((noreturn));
int postnote(Proc* p, int dolock, char* n, int flag) __KT_P9(postnote);

/* sleep(9). sleep and tsleep sleep and may raise; wakeup never sleeps. */
void sleep(Rendez* r, int (*f)(void*), void* arg) __KT_P9(sleep);
void tsleep(Rendez* r, int (*f)(void*), void* arg, ulong ms) __KT_P9(tsleep);
Proc* wakeup(Rendez* r) __KT_P9(wakeup);
int return0(void* arg) __KT_P9(return0);

/* qlock(9). From any kernel thread; eqlock (it may raise) from a kproc. */
void qlock(QLock* q) __KT_P9(qlock);
int canqlock(QLock* q) __KT_P9(canqlock);
void qunlock(QLock* q) __KT_P9(qunlock);
void eqlock(QLock* q) __KT_P9(eqlock);

/* rendezvous(2) as a kernel call: ~0 when interrupted. */
uintptr rendezvous(uintptr tag, uintptr value) __KT_P9(rendezvous);

/* error(9). From a kproc only. */
void error(char* err) __KT_P9(error) __attribute__((noreturn));
void nexterror(void) __KT_P9(nexterror) __attribute__((noreturn));

/* up: the current process; nil outside a kproc (host threads, other faces). */
Proc* kt_plan9_up(void) __KT_P9(up);
#define up (kt_plan9_up())

/*
 * waserror() pushes a label and is 0; it is non-zero when error() comes
 * back through it (the label is then already popped). poperror() pops the
 * label of a waserror() that returned 0. waserror() must expand to setjmp
 * in the caller's own frame, hence the macros.
 */
Label* kt_plan9_pushlabel(void) __KT_P9(pushlabel);
void kt_plan9_poplabel(void) __KT_P9(poplabel);
#define waserror() (setjmp(kt_plan9_pushlabel()->buf))
#define poperror() (kt_plan9_poplabel())

#ifdef __cplusplus
}
#endif

#endif /* _KT_PLAN9_PORTFNS_H_ */
