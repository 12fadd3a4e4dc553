// NetBSD kthread(9) (seed 002; semantics.md 5): thin translation onto the
// core. Decisions and the priority mapping are listed in sys/kthread.h.
#include <sys/condvar.h>
#include <sys/cpu.h>
#include <sys/kthread.h>
#include <sys/lwp.h>
#include <sys/mutex.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "kt/c/control.h"
#include "kt/c/face.h"
#include "kt/c/sleep.h"
#include "kt/c/startup.h"
#include "kt/c/thread.h"

static_assert(sizeof(struct lwp) <= KT_FACE_AREA, "struct lwp fits the face area");

extern "C" {
int hz = 100;
int ncpu = 0;
// LWP 1 of proc0: what curlwp is in a kernel thread kthread_create did not
// make (start-up functions, shutdown handlers, other faces' threads).
struct lwp lwp0 = {1, "", nullptr, 0, PRI_KTHREAD, 0};
}

namespace {

struct cpu_info cpus[KT_MAXCPU];

// ncpu and the cpu_info table follow the kernel that boots.
void boot_cpus(const void*) {
  ncpu = int(kt_ncpu());
  for (int i = 0; i < ncpu; i++) {
    cpus[i].ci_index = u_int(i);
    cpus[i].ci_cpuid = cpuid_t(i);
    snprintf(cpus[i].ci_name, sizeof cpus[i].ci_name, "cpu%d", i);
  }
}
kt_sysinit cpus_sysinit{0, 0, boot_cpus, nullptr, nullptr, 0};
__attribute__((constructor)) void register_cpus() { kt_sysinit_register(&cpus_sysinit); }

int cpu_index_of(const struct cpu_info* ci) {
  if (ci < &cpus[0] || ci >= &cpus[KT_MAXCPU]) return -1;
  const int i = int(ci - &cpus[0]);
  return i < int(kt_ncpu()) ? i : -1;
}

struct Init {
  lwp_t** newlp;
  const char* name;
  struct cpu_info* ci;
  int flags;
  pri_t pri;
};

void init_lwp(void* area, uint64_t t, void* arg) {
  auto* in = static_cast<Init*>(arg);
  auto* l = static_cast<lwp_t*>(area);
  kt_face_claim(area, KT_FACE_NETBSD);
  l->l_lid = kt_thread_pid(t);
  snprintf(l->l_name, sizeof l->l_name, "%s", in->name);
  l->l_cpu = in->ci;
  l->l_flag = in->flags;
  l->l_priority = in->pri;
  l->l_kt = t;
  if (in->newlp) *in->newlp = l;
}

const char* name_of(const lwp_t* l) { return l->l_name[0] ? l->l_name : "unnamed"; }

void on_return() {
  lwp_t* l = curlwp;
  kt_panic("kthread `%s' (%d) returned from its function; it must call kthread_exit", name_of(l),
           l->l_lid);
}

// The thread of an lwp_t handed in: 0 for a live one, ESRCH for one that has
// gone, EINVAL for a pointer that is no kthread's LWP (lwp0 included).
int lwp_tid(const lwp_t* l, uint64_t* t) { return kt_face_handle(l, KT_FACE_NETBSD, t); }

}  // namespace

extern "C" struct cpu_info* cpu_lookup(u_int idx) { return idx < kt_ncpu() ? &cpus[idx] : nullptr; }

extern "C" struct cpu_info* kt_netbsd_curcpu(void) {
  const uint64_t self = kt_thread_self();
  if (!self) return nullptr;
  const int c = kt_thread_cpu(self);
  return c >= 0 ? &cpus[c] : nullptr;
}

extern "C" lwp_t* kt_netbsd_curlwp(void) {
  if (void* own = kt_face_self(KT_FACE_NETBSD)) return static_cast<lwp_t*>(own);
  return kt_thread_self() ? &lwp0 : nullptr;
}

extern "C" int kthread_create(pri_t pri, int flags, struct cpu_info* ci, void (*func)(void*),
                              void* arg, lwp_t** newlp, const char* fmt, ...) {
  if (kt_boot_phase() < KT_BOOT_STARTING) kt_panic("kthread_create: called before kt_boot");
  if (!func || !fmt) return EINVAL;
  if (flags & ~(KTHREAD_IDLE | KTHREAD_MPSAFE | KTHREAD_INTR | KTHREAD_TS | KTHREAD_MUSTJOIN))
    return EINVAL;
  if ((flags & KTHREAD_INTR) && !(flags & KTHREAD_MPSAFE)) return EINVAL;
  if ((flags & KTHREAD_MUSTJOIN) && !newlp) return EINVAL;
  if (pri != PRI_NONE && (pri < 0 || pri >= PRI_COUNT)) return EINVAL;
  int cpu = -1;
  if (ci && (cpu = cpu_index_of(ci)) < 0) return EINVAL;
  if (pri == PRI_NONE) pri = (flags & KTHREAD_TS) ? MAXPRI_USER : PRI_KTHREAD;

  char name[MAXCOMLEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);

  Init in{newlp, name, ci, flags, pri};
  kt_thread_attr a{};
  a.name = name;
  a.pri = (PRI_COUNT - 1) - pri;
  a.sched = (flags & KTHREAD_TS) ? KT_SCHED_TS : KT_SCHED_RR;
  a.cpu = cpu;
  a.flags = ((flags & KTHREAD_MPSAFE) ? KT_MPSAFE : 0) | ((flags & KTHREAD_INTR) ? KT_INTR : 0) |
            ((flags & KTHREAD_MUSTJOIN) ? KT_JOINABLE : 0) | ((flags & KTHREAD_IDLE) ? KT_IDLE : 0);
  a.stack_nominal = USPACE;  // the u-area: nominal, the mapping is larger
  a.on_return = on_return;
  a.init = init_lwp;
  a.init_arg = &in;
  return kt_thread_create(&a, func, arg, nullptr);
}

extern "C" void kthread_exit(int ecode) {
  lwp_t* l = curlwp;
  if (l == &lwp0) kt_panic("kthread_exit: called from lwp0, not by a kernel thread");
  // On a host thread (l NULL) the core panics: only a kernel thread may exit.
  if (l && ecode != 0)
    kt_printf("WARNING: kthread `%s' (%d) exits with status %d\n", name_of(l), l->l_lid, ecode);
  kt_thread_exit(ecode);
}

extern "C" int kthread_join(lwp_t* l) {
  uint64_t t;
  if (const int error = lwp_tid(l, &t)) return error;
  return kt_thread_join(t, nullptr);
}

extern "C" int kthread_run(lwp_t* l) {
  uint64_t t;
  return lwp_tid(l, &t) == 0 ? kt_thread_start(t) : ESRCH;
}

extern "C" int kthread_fpu_enter(void) { return kt_fpu_enter(); }
extern "C" void kthread_fpu_exit(int s) { kt_fpu_exit(s); }
