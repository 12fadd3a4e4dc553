// FreeBSD kthread(9), 5.x-7.x (seed 000; semantics.md 3.1-3.7): thin
// translation onto the core. Deviations are listed in sys/kthread.h.
#include <sys/eventhandler.h>
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "kt/c/control.h"
#include "kt/c/face.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"

static_assert(sizeof(struct proc) <= KT_FACE_AREA, "struct proc fits the face area");

extern "C" {
int kproc_shutdown_wait = 60;
int kthread_eagain_delay_ms = 500;
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

uint64_t proc_tid(const struct proc* p) { return p ? kt_face_owner(p) : 0; }

void maxproc_backoff() {
  static time_t last;
  const time_t now = time(nullptr);
  if (now != last) {
    last = now;
    kt_printf("maxproc limit exceeded by uid 0, please see tuning(7) and login.conf(5)\n");
  }
  if (kthread_eagain_delay_ms <= 0) return;
  const uint64_t ns = uint64_t(kthread_eagain_delay_ms) * 1000000u;
  if (kt_thread_self()) {
    static int nowake;
    kt_sleep(&nowake, "maxproc", 0, ns);
  } else {
    timespec ts{time_t(ns / 1000000000u), long(ns % 1000000000u)};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace

extern "C" struct proc* kt_freebsd_curproc(void) {
  return static_cast<struct proc*>(kt_face_self());
}

extern "C" int kthread_create(void (*func)(void*), void* arg, struct proc** newpp, int flags,
                              int pages, const char* fmt, ...) {
  if (!kt_booted()) kt_panic("kthread_create called too soon");
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
  a.flags =
      KT_MPSAFE | ((flags & RFSTOPPED) ? KT_IDLE : 0) | ((flags & RFPPWAIT) ? KT_JOINABLE : 0);
  // The nominal size is what struct proc reports; the mapping is never
  // smaller than the kernel's default.
  const size_t nominal = size_t(pages) * PAGE_SIZE;
  a.stack_size = nominal > KT_DEFAULT_STACK ? nominal : 0;
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
  // exit1 wakes whoever sleeps on the thread handle.
  if (struct proc* p = curproc) kt_wakeup(p);
  kt_thread_exit(ecode);
}

extern "C" int kthread_suspend(struct proc* p, int timo) {
  const uint64_t t = proc_tid(p);
  if (!t) return EINVAL;  // "does not reference a kernel thread"
  kt_wakeup(p);           // nudge a daemon sleeping on its own proc
  uint64_t ns = 0;
  if (timo != 0)
    ns = (timo < 0 ? 1 : uint64_t(timo)) * 1000000000ull / uint64_t(hz > 0 ? hz : 1000);
  const int rc = kt_suspend(t, ns);
  return rc == ESRCH ? EINVAL : rc;
}

extern "C" int kthread_resume(struct proc* p) {
  const uint64_t t = proc_tid(p);
  if (!t) return EINVAL;
  const int rc = kt_resume(t);
  return rc == ESRCH ? EINVAL : rc;
}

extern "C" void kthread_suspend_check(struct proc* p) {
  if (const uint64_t t = proc_tid(p)) kt_suspend_check(t);
}

extern "C" int kthread_run(struct proc* p) {
  const uint64_t t = proc_tid(p);
  return t ? kt_thread_start(t) : ESRCH;
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
