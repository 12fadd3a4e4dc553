/*
 * kt/kernel.h - booting and shutting down a kthreads kernel (C and C++).
 *
 * A process hosts at most one kernel at a time. kt_boot() starts the
 * virtual CPUs and runs the start-up functions; from its return until
 * kt_shutdown(), kernel threads may be created from any host thread.
 * kt_shutdown() runs the shutdown handlers, stops every vCPU, reports the
 * kernel threads it left behind, releases everything and returns; the
 * process may boot again afterwards.
 *
 * Kernel threads and host threads. A kernel thread runs on whichever host
 * thread drives its vCPU at the moment, and may come back from any call
 * that can switch (a sleep, a yield, a lock, kt_hostcall_exit()) on another
 * one. Hence:
 *   - thread_local in a kernel thread names the slot of the host thread
 *     running it now, which changes under it; the compiler may also keep a
 *     thread_local's address across such a call. Keep per-thread state in
 *     the thread's own objects (or its face area), never in thread_local.
 *   - errno is the running host thread's. kt_hostcall_exit() restores the
 *     errno the host call left, so code may test errno after it as after
 *     any host call. No other kernel primitive preserves errno: kernel code
 *     returns its errors. Caveat: glibc declares errno's address a const
 *     function, so a function that touched errno before kt_hostcall_enter()
 *     may read the old host thread's errno after kt_hostcall_exit(); such a
 *     function copies errno to a local before kt_hostcall_exit().
 */
#ifndef KT_KERNEL_H
#define KT_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * struct kt_config - how to boot. Zero any field to take its default; zero
 * the whole struct (or pass NULL) for all defaults. Later releases add fields
 * by carving them from kt_reserved, so a zero-initialised struct stays valid
 * and its size never changes.
 */
struct kt_config {
  unsigned ncpu;             /* vCPUs; 0: the host's cores; at most KT_MAXCPU */
  unsigned maxproc;          /* live kernel threads; 0: KT_DEFAULT_MAXPROC */
  size_t stack_size;         /* default stack bytes; 0: KT_DEFAULT_STACK (x4 under sanitizers) */
  unsigned hz;               /* ticks per second of the kernel clock; 0: 1000 */
  unsigned slice_ticks;      /* round-robin time slice; 0: 10 ticks */
  unsigned max_hostcalls;    /* host threads lent to blocking host calls; 0: 64 */
  unsigned shutdown_wait_ms; /* the bound on kt_shutdown (see there); 0: 2000 */
  FILE* console;             /* where the kernel prints; NULL: stderr */
  unsigned stack_guard;      /* enum kt_stack_guard; 0: the strongest the host has */
  unsigned kt_reserved0;     /* (carved with stack_guard; must be 0) */
  uintptr_t kt_reserved[15];
};

/*
 * How pooled stacks are guarded against overflow. KT_GUARD_BEST takes the
 * strongest the host allows: a guard region below every stack (Linux 6.13+,
 * MADV_GUARD_INSTALL, no mapping cost), else a PROT_NONE page while the
 * mappings allow (a quarter of vm.max_map_count is left to the rest of the
 * process), else a canary checked whenever the thread switches out. The
 * weaker choices exist to exercise the fallbacks; all of them report the
 * overflowing thread's pid, name and stack size.
 */
enum kt_stack_guard {
  KT_GUARD_BEST = 0,
  KT_GUARD_PAGE = 1,   /* PROT_NONE pages within the budget, then canaries */
  KT_GUARD_CANARY = 2, /* canaries only */
};

#define KT_MAXCPU 256
#define KT_DEFAULT_MAXPROC 10000
#define KT_DEFAULT_STACK ((size_t)64 * 1024)
#define KT_MIN_STACK ((size_t)16 * 1024)

/*
 * kt_boot() boots the kernel: it starts the vCPUs, runs the start-up
 * functions (kt/c/startup.h) in a kernel thread, which may create threads,
 * and only then declares the system up. Returns 0; EINVAL for a bad
 * configuration (ncpu above KT_MAXCPU, hz above 100000, a stack smaller than
 * KT_MIN_STACK or larger than 1 GiB, an unknown stack_guard, a non-zero
 * reserved word); EBUSY
 * when a kernel is already up or on its way; EAGAIN when the host refuses a
 * thread, in which case nothing of the kernel stays and no start-up
 * function or shutdown handler runs. Call from a host thread.
 */
int kt_boot(const struct kt_config* cfg);

/*
 * kt_shutdown() takes the kernel down; howto is passed to the shutdown
 * handlers (RB_* style flags, uninterpreted here). It never hangs: the
 * handlers, then the vCPUs, get shutdown_wait_ms in all (the vCPUs at least
 * 100 ms of it, so a handler that never returns costs only its own thread).
 * What is still busy then is reported on the console: the handler that did
 * not return and those never run, each kernel thread left by pid, name and
 * state; a vCPU that never reaches a preemption point, or a host call that
 * never returns, makes kt_shutdown abandon the kernel's memory to the host
 * threads still in it ("abandoned"). A handler that waits longer than the
 * bound (FreeBSD kproc_shutdown with a long kproc_shutdown_wait) is cut
 * short. Call from a host thread, not from a kernel thread. A no-op when no
 * kernel is up. Once it has begun, a host thread's kt_thread_create (and
 * reserve, launch) returns ENXIO, as after it; a host thread's call that
 * races kt_shutdown itself is the caller's bug, as using an object while
 * another thread destroys it is.
 */
void kt_shutdown(int howto);

/*
 * The boot phase, in the order a kernel goes through them. Kernel threads
 * may be created from STARTING (by start-up functions) to STOPPING (by
 * shutdown handlers).
 */
enum kt_boot_phase {
  KT_BOOT_DOWN = 0,     /* no kernel */
  KT_BOOT_BUILDING = 1, /* kt_boot is starting the vCPUs */
  KT_BOOT_STARTING = 2, /* the start-up functions run */
  KT_BOOT_UP = 3,       /* the start-up functions have run: the system is up */
  KT_BOOT_STOPPING = 4, /* kt_shutdown is running */
};
int kt_boot_phase(void);

/*
 * kt_booted() says whether the system is up (KT_BOOT_UP). Threads may be
 * created from KT_BOOT_STARTING on (start-up functions create daemons):
 * ask kt_boot_phase() for that.
 */
int kt_booted(void);

/* kt_ncpu() is the number of vCPUs of the running kernel (0 when down). */
unsigned kt_ncpu(void);

/* kt_hz() is the kernel clock rate; kt_ticks() the ticks since boot. */
unsigned kt_hz(void);
uint64_t kt_ticks(void);

/*
 * kt_ps() prints one line per kernel thread: pid, name, state, wait
 * message, priority, vCPU, flags, stack size and the most of it touched.
 */
void kt_ps(FILE* out);

#ifdef __cplusplus
}
#endif

#endif /* KT_KERNEL_H */
