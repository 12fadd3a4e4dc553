// OpenBSD 5.7 kthread(9) (seed 001; semantics.md 4): thin
// translation onto the core. Deviations are listed in sys/kthread.h.
#include <sys/kthread.h>
#include <sys/proc.h>
#include <sys/systm.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kt/c/face.h"
#include "kt/c/sleep.h"
#include "kt/c/startup.h"
#include "kt/c/thread.h"

static_assert(sizeof(struct proc) <= KT_FACE_AREA, "struct proc fits the face area");

extern "C" {
// Process 0, the swapper: deferred callbacks run "in proc0's context", and
// so does every kernel thread kthread_create did not make.
struct proc proc0 = {0, "swapper", P_SYSTEM, 0};
}

namespace {

struct Init {
  struct proc** newpp;
  const char* name;
};

void init_proc(void* area, uint64_t t, void* arg) {
  auto* in = static_cast<Init*>(arg);
  auto* p = static_cast<struct proc*>(area);
  kt_face_claim(area, KT_FACE_OPENBSD);
  p->p_pid = kt_thread_pid(t);
  snprintf(p->p_comm, sizeof p->p_comm, "%s", in->name);
  p->p_flag = P_SYSTEM;
  p->p_kt = t;
  if (in->newpp) *in->newpp = p;
}

void on_return() {
  struct proc* p = curproc;
  kt_panic("kthread_create: thread `%s' (%d) returned from its function; it must call kthread_exit",
           p->p_comm, int(p->p_pid));
}

}  // namespace

extern "C" struct proc* kt_openbsd_curproc(void) {
  if (void* own = kt_face_self(KT_FACE_OPENBSD)) return static_cast<struct proc*>(own);
  return kt_thread_self() ? &proc0 : nullptr;
}

extern "C" int kthread_create(void (*func)(void*), void* arg, struct proc** newpp,
                              const char* name) {
  if (kt_boot_phase() < KT_BOOT_STARTING)
    kt_panic("kthread_create: called before the system is up; use kthread_create_deferred");
  if (!func || !name) return EINVAL;
  // strlcpy into p_comm: the name is at most MAXCOMLEN characters, in ps too.
  char comm[MAXCOMLEN + 1];
  snprintf(comm, sizeof comm, "%s", name);
  Init in{newpp, comm};
  kt_thread_attr a{};
  a.name = comm;
  a.pri = -1;
  a.cpu = -1;
  // OpenBSD 5.7 kernel threads start holding the kernel lock (it is taken
  // on their way out of the fork trampoline) and give it up only to sleep.
  a.flags = 0;
  a.stack_nominal = USPACE;  // the u-area: nominal, the mapping is larger
  a.on_return = on_return;
  a.init = init_proc;
  a.init_arg = &in;
  return kt_thread_create(&a, func, arg, nullptr);
}

extern "C" void kthread_exit(int ecode) {
  struct proc* p = curproc;
  if (p == &proc0) kt_panic("kthread_exit: called in proc0's context, not by a kernel thread");
  // On a host thread (p NULL) the core panics: only a kernel thread may exit.
  if (p && ecode != 0)
    kt_printf("WARNING: thread `%s' (%d) exits with status %d\n", p->p_comm, int(p->p_pid), ecode);
  kt_thread_exit(ecode);
}

extern "C" void kthread_create_deferred(void (*func)(void*), void* arg) { kt_defer(func, arg); }
