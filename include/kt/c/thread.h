/*
 * kt/c/thread.h - the C ABI of kernel threads, which the five faces and the
 * native C++ API translate onto. Not meant for application code: the faces
 * and the kt/ C++ headers give the friendly forms.
 *
 * Handles: a kt_tid_t is a slot index and a generation; once the thread is
 * gone (exited and reaped, or joined) its kt_tid_t is stale and every call
 * taking it returns ESRCH. 0 is never a valid handle.
 *
 * Priorities use one internal scale, 0..255, lower is more urgent:
 *   0..63 interrupt threads, 64..127 kernel, 128..159 real time,
 *   160..223 time sharing, 224..255 idle.
 * Each face maps its own scale onto it.
 */
#ifndef KT_C_THREAD_H
#define KT_C_THREAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t kt_tid_t;

#define KT_PRI_MIN 0
#define KT_PRI_MAX 255
#define KT_PRI_INTR 32
#define KT_PRI_KERNEL 96 /* the default of a kernel thread */
#define KT_PRI_TIMESHARE 160
#define KT_PRI_IDLE 240

enum kt_sched_class {
  KT_SCHED_RR = 0, /* fixed priority, round robin within a level */
  KT_SCHED_TS = 1, /* time sharing: priority decays with CPU use */
};

enum kt_thread_flags {
  KT_MPSAFE = 0x01,   /* runs without the big kernel lock */
  KT_INTR = 0x02,     /* services interrupts; requires KT_MPSAFE */
  KT_JOINABLE = 0x04, /* exit waits until kt_thread_join (NetBSD MUSTJOIN) */
  KT_IDLE = 0x08,     /* created idle: runs only after kt_thread_start */
  /*
   * A pid of at least 10, taken without moving the pid cursor, so the
   * threads created after it still count up from where they were (FreeBSD
   * RFHIGHPID, for daemons made at boot).
   */
  KT_HIGHPID = 0x10,
  KT_THREAD_FLAGS_ALL = 0x1f,
};

/* How a thread ended, as recorded for introspection. */
enum kt_thread_state {
  KT_FREE = 0,
  KT_IDLE_STATE, /* created, not started (TSIDL / LSIDL) */
  KT_RUNNABLE,
  KT_RUNNING,
  KT_SLEEPING,
  KT_SUSPENDED,
  KT_BROKEN,   /* stopped for inspection (Plan 9 Broken) */
  KT_ZOMBIE,   /* exited, waiting to be joined */
  KT_HOSTCALL, /* blocked in a host call, off any vCPU */
};

/*
 * struct kt_thread_attr - everything a thread is created with. Zero it,
 * then set what matters; pri -1 and cpu -1 mean "default" and "any".
 */
struct kt_thread_attr {
  const char* name;  /* copied; truncated to KT_MAXCOMLEN */
  int pri;           /* 0..255, or -1 for KT_PRI_KERNEL (KT_SCHED_TS: base priority) */
  int sched;         /* enum kt_sched_class */
  int cpu;           /* vCPU to bind to, or -1 */
  unsigned flags;    /* enum kt_thread_flags */
  size_t stack_size; /* 0: the kernel's default; at least KT_MIN_STACK */
  void* stack_top;   /* a caller's stack: its highest address... */
  size_t stack_len;  /* ...and its size (both or neither) */
  const void* data;  /* copied to the top of the new stack... */
  size_t data_len;   /* ...and the copy's address replaces arg */
  /*
   * Called in the thread when func returns; it may exit, break or panic.
   * NULL, or returning from it, exits the thread with status 0.
   */
  void (*on_return)(void);
  /*
   * Called by the creator after the thread exists and before it can run,
   * with the thread's face area (kt/c/face.h) and handle: a face fills in its
   * view of the thread there and publishes it.
   */
  void (*init)(void* face_area, uint64_t t, void* init_arg);
  void* init_arg;
  /*
   * The stack the face's own kernel would give the thread (FreeBSD pages,
   * OpenBSD's 20 KiB u-area...), which introspection reports; 0: the mapped
   * size. What is mapped is never smaller than this nor than the kernel's
   * default (semantics.md 10.11). Carved from kt_reserved.
   */
  size_t stack_nominal;
  uintptr_t kt_reserved[5];
};

#define KT_MAXCOMLEN 31

/*
 * kt_thread_create() creates a kernel thread that will call func(arg).
 * The handle (*out, when out is not NULL) and the name are published before
 * the thread first runs. Returns 0; EINVAL for a NULL func or attr, a bad
 * priority, class, vCPU, flag or stack; EAGAIN when maxproc threads are
 * alive; ENOMEM when no stack can be mapped; ENXIO when no kernel is up.
 * Creates nothing on error. May be called from any host thread.
 */
int kt_thread_create(const struct kt_thread_attr* attr, void (*func)(void*), void* arg,
                     kt_tid_t* out);

/* kt_thread_start() makes a KT_IDLE thread runnable: 0, ESRCH if not idle. */
int kt_thread_start(kt_tid_t t);

/*
 * The two-step life cycle (AIX thread_create + kthread_start).
 * kt_thread_reserve() makes an idle thread that has a pid, a name, a
 * priority and a binding, but no entry and no stack yet; attr's func-less
 * fields are used (stack and data fields must be zero). kt_thread_launch()
 * gives it all of those and makes it runnable. Errors as kt_thread_create;
 * kt_thread_launch returns ESRCH unless t is a reserved thread not yet
 * launched, and creates nothing else on error (t stays reserved).
 */
struct kt_launch {
  void (*func)(void*);
  void* arg;
  void* stack_top;  /* a caller's stack (highest address), or NULL... */
  size_t stack_len; /* ...and its size */
  const void* data; /* copied to the top of the stack; the copy replaces arg */
  size_t data_len;
  uint64_t sigmask;  /* signals blocked when it starts (bit sig-1) */
  size_t stack_size; /* without a caller's stack: the size to map (0: default) */
  uintptr_t kt_reserved[3];
};
int kt_thread_reserve(const struct kt_thread_attr* attr, kt_tid_t* out);
int kt_thread_launch(kt_tid_t t, const struct kt_launch* l);

/*
 * kt_thread_exit() ends the calling kernel thread with an exit status; a
 * KT_JOINABLE thread first waits for its joiner. C++ destructors on the
 * exiting stack run (the stack is unwound, as by pthread_exit). Never
 * returns. Panics when called outside a kernel thread.
 */
void kt_thread_exit(int code) __attribute__((noreturn));

/*
 * kt_thread_join() waits until the KT_JOINABLE thread t has exited and
 * retires its handle; *code (if not NULL) receives its exit status. From a
 * kernel thread or a host thread. ESRCH: stale handle (so a second join);
 * EINVAL: not joinable, or another join is in progress; EDEADLK: self-join.
 */
int kt_thread_join(kt_tid_t t, int* code);

/*
 * kt_thread_detach() gives up joining a KT_JOINABLE thread: its exit no
 * longer waits, and it frees itself. ESRCH: stale; EINVAL: not joinable or
 * already being joined.
 */
int kt_thread_detach(kt_tid_t t);

/* kt_thread_self() is the calling kernel thread, 0 on a host thread. */
kt_tid_t kt_thread_self(void);

/* kt_thread_yield() lets equal or higher priority threads run. */
void kt_thread_yield(void);

/*
 * kt_preempt() is a preemption point: it switches if this thread's slice is
 * used up or a more urgent thread waits. Every sleeping primitive is one.
 */
void kt_preempt(void);

/* Introspection. Each returns ESRCH (or NULL / -1) for a stale handle. */
int kt_thread_pid(kt_tid_t t);
int kt_thread_state(kt_tid_t t);
int kt_thread_priority(kt_tid_t t);
int kt_thread_set_priority(kt_tid_t t, int pri);
int kt_thread_cpu(kt_tid_t t); /* the vCPU it last ran on, or -1 */
int kt_thread_name(kt_tid_t t, char* buf, size_t len);
int kt_thread_exit_status(kt_tid_t t, int* code);
/* kt_thread_stack(): the stack t asked for (its face's nominal size, the
 * option or the boot default; a caller's stack's length) and the bytes
 * mapped for it, which is never less (and more under the sanitizers).
 * Either pointer may be NULL. */
int kt_thread_stack(kt_tid_t t, size_t* nominal, size_t* mapped);

/*
 * Blocking host calls. A kernel thread about to block in the host (read(2),
 * a host mutex, sleep(3)) brackets the call; its vCPU goes on running other
 * kernel threads on another host thread meanwhile. At most max_hostcalls
 * host threads are lent at once; past that the call blocks its vCPU.
 */
void kt_hostcall_enter(void);
void kt_hostcall_exit(void);

/* The big kernel lock, for MPSAFE threads that need it (recursive). */
void kt_biglock_enter(void);
void kt_biglock_exit(void);
int kt_biglock_held(void);

#ifdef __cplusplus
}
#endif

#endif /* KT_C_THREAD_H */
