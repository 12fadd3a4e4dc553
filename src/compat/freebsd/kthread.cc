// FreeBSD kthread(9), 5.x-7.x (seed 000; semantics.md 3.1-3.7): thin
// translation onto the core. Deviations are listed in sys/kthread.h.
#include <sys/eventhandler.h>
#include <sys/kernel.h>
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "kt/c/control.h"
#include "kt/c/face.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"

static_assert(sizeof(struct proc) <= KT_FACE_AREA, "struct proc fits the face area");

extern "C" {
int kproc_shutdown_wait = 60;
int kthread_eagain_delay_ms = 500;
// The swapper: what SYSINIT functions, shutdown handlers and every other
// kernel thread kthread_create did not make see as curproc.
struct proc proc0 = {0, "swapper", P_SYSTEM, KSTACK_PAGES, 0, 0};
}

namespace {

constexpr int kKnownFlags = RFNAMEG | RFENVG | RFFDG | RFNOTEG | RFPROC | RFMEM | RFNOWAIT |
                            RFCNAMEG | RFCENVG | RFCFDG | RFTHREAD | RFSIGSHARE | RFLINUXTHPN |
                            RFSTOPPED | RFHIGHPID | int(RFPPWAIT);

struct Init {
  struct proc** newpp;
  int flags;
  int pages;
  const char* name;
};

// Fills the struct proc and publishes it before the thread can run, as
// FreeBSD 5 does while the new process is still stopped (R1).
void init_proc(void* area, uint64_t t, void* arg) {
  auto* in = static_cast<Init*>(arg);
  auto* p = static_cast<struct proc*>(area);
  kt_face_claim(area, KT_FACE_FREEBSD);
  p->p_pid = kt_thread_pid(t);
  snprintf(p->p_comm, sizeof p->p_comm, "%s", in->name);
  p->p_flag = P_SYSTEM | P_KTHREAD;
  p->p_kstack_pages = in->pages;
  p->p_rfflags = in->flags;
  p->p_kt = t;
  if (in->newpp) *in->newpp = p;
}

// A kthread whose function returns is tolerated, with FreeBSD's message.
void on_return() {
  struct proc* p = curproc;
  kt_printf("Kernel thread \"%s\" (pid %d) exited prematurely.\n", p->p_comm, int(p->p_pid));
  kthread_exit(0);
}

// The thread of a struct proc handed in: 0 for a live kernel thread, EINVAL
// for a pointer that is none (proc0 included: it is no kthread), ESRCH for
// one that has exited (semantics.md 9: stale handles).
int proc_tid(const struct proc* p, uint64_t* t) { return kt_face_handle(p, KT_FACE_FREEBSD, t); }

// When fork1 last said "maxproc limit exceeded" (monotonic ns; 0: not this
// boot). (<atomic> would bring in <unistd.h>, whose pause() is not
// FreeBSD's: the builtins it is.)
int64_t last_said;
void forget_last_said(const void*) { __atomic_store_n(&last_said, 0, __ATOMIC_RELAXED); }
kt_sysinit last_said_sysinit{SI_SUB_TUNABLES, SI_ORDER_FIRST, forget_last_said,
                             nullptr,         nullptr,        0};
__attribute__((constructor)) void register_last_said() { kt_sysinit_register(&last_said_sysinit); }

// fork1 at maxproc: the console message, at most once a second however many
// creators fail at once (ppsratecheck: a second from the last message), then
// a sleep of half a second before EAGAIN, so a creator retrying in a loop
// does not spin.
void maxproc_backoff() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const int64_t now = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  int64_t last = __atomic_load_n(&last_said, __ATOMIC_RELAXED);
  if ((last == 0 || now - last >= 1000000000) &&
      __atomic_compare_exchange_n(&last_said, &last, now, false, __ATOMIC_RELAXED,
                                  __ATOMIC_RELAXED))
    kt_printf("maxproc limit exceeded by uid 0, please see tuning(7) and login.conf(5).\n");
  if (kthread_eagain_delay_ms <= 0) return;
  const uint64_t ns = uint64_t(kthread_eagain_delay_ms) * 1000000u;
  if (kt_thread_self()) {
    static int forksleep;  // nobody wakes it: the timeout ends the sleep
    kt_sleep(&forksleep, "fork", 0, ns);
  } else {
    ts = {time_t(ns / 1000000000u), long(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0) {
    }
  }
}

}  // namespace

extern "C" struct proc* kt_freebsd_curproc(void) {
  if (void* own = kt_face_self(KT_FACE_FREEBSD)) return static_cast<struct proc*>(own);
  return kt_thread_self() ? &proc0 : nullptr;
}

extern "C" int kthread_create(void (*func)(void*), void* arg, struct proc** newpp, int flags,
                              int pages, const char* fmt, ...) {
  if (kt_boot_phase() < KT_BOOT_STARTING) kt_panic("kthread_create called too soon");
  if (!func || !fmt) return EINVAL;
  if (flags & RFCFDG) return EINVAL;  // "can't copy and clear": fork1 adds RFFDG
  if (flags & ~kKnownFlags) return EINVAL;
  char name[MAXCOMLEN + 1];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  // FreeBSD's bounds: <= 1 page means the default, more than 32 is 32.
  if (pages <= 1) pages = KSTACK_PAGES;
  if (pages > KSTACK_MAX_PAGES) pages = KSTACK_MAX_PAGES;

  Init in{newpp, flags, pages, name};
  kt_thread_attr a{};
  a.name = name;
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | ((flags & RFSTOPPED) ? KT_IDLE : 0) |
            ((flags & RFPPWAIT) ? KT_JOINABLE : 0) | ((flags & RFHIGHPID) ? KT_HIGHPID : 0);
  // The nominal size is what introspection reports; the mapping is never
  // smaller than the kernel's default.
  a.stack_nominal = size_t(pages) * PAGE_SIZE;
  a.stack_size = a.stack_nominal > KT_DEFAULT_STACK ? a.stack_nominal : 0;
  a.on_return = on_return;
  a.init = init_proc;
  a.init_arg = &in;
  kt_tid_t t = 0;
  const int rc = kt_thread_create(&a, func, arg, &t);
  if (rc == EAGAIN) maxproc_backoff();
  if (rc != 0) return rc;
  // RFPPWAIT: the caller waits until the new thread exits.
  if (flags & RFPPWAIT) kt_thread_join(t, nullptr);
  return 0;
}

extern "C" void kthread_exit(int ecode) {
  struct proc* p = curproc;
  if (p == &proc0) kt_panic("kthread_exit: called from proc0 (swapper), which is no kthread");
  // exit1 wakes whoever sleeps on the thread handle. On a host thread (p
  // NULL) the core panics: only a kernel thread may exit.
  if (p) kt_wakeup(p);
  kt_thread_exit(ecode);
}

extern "C" int kthread_suspend(struct proc* p, int timo) {
  uint64_t t;
  if (const int error = proc_tid(p, &t)) return error;
  kt_wakeup(p);  // nudge a daemon sleeping on its own proc
  const int rc = kt_suspend(t, kt_ticks_ns(timo, hz, "kthread_suspend"));
  return rc;
}

extern "C" int kthread_resume(struct proc* p) {
  uint64_t t;
  if (const int error = proc_tid(p, &t)) return error;
  return kt_resume(t);
}

// FreeBSD 5 checks nothing: passing another kthread's proc makes the caller
// wait out that thread's request (faithful), proc0 never has one. A pointer
// that is no proc, or one that has exited, is fatal: there is no error to
// return (semantics.md 9).
extern "C" void kthread_suspend_check(struct proc* p) {
  if (p == &proc0) return;
  uint64_t t;
  if (const int error = proc_tid(p, &t))
    kt_panic("kthread_suspend_check: %p is %s", static_cast<void*>(p),
             error == ESRCH ? "a process that has exited" : "no kernel thread's struct proc");
  kt_suspend_check(t);
}

extern "C" int kthread_run(struct proc* p) {
  uint64_t t;
  return proc_tid(p, &t) == 0 ? kt_thread_start(t) : ESRCH;
}

extern "C" void kproc_start(const void* udata) {
  if (!udata) kt_panic("kproc_start: NULL kproc_desc");
  const auto* kp = static_cast<const struct kproc_desc*>(udata);
  const int error = kthread_create(reinterpret_cast<void (*)(void*)>(kp->func), nullptr,
                                   kp->global_procpp, 0, 0, "%s", kp->arg0);
  if (error) kt_panic("kproc_start: %s: error %d", kp->arg0, error);
}

extern "C" void kproc_shutdown(void* arg, int howto) {
  (void)howto;
  if (!arg) kt_panic("kproc_shutdown: NULL process");
  auto* p = static_cast<struct proc*>(arg);
  kt_printf("Waiting (max %d seconds) for system process `%s' to stop...", kproc_shutdown_wait,
            p->p_comm);
  const int error = kthread_suspend(p, kproc_shutdown_wait * hz);
  kt_printf(error == EWOULDBLOCK ? "timed out\n" : "stopped\n");
}
