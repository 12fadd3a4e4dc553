// AIX kernel-only threads (seed 004; semantics.md 7): thread_create makes a
// TSIDL thread with the core's two-step life cycle, kthread_start launches
// it. Decisions are listed in sys/thread.h.
#include "kt/c/thread.h"

#include <sys/thread.h>

#include <cerrno>
#include <csignal>

#include "kt/c/control.h"
#include "kt/c/face.h"

namespace {

// The AIX view of a thread, in its face area.
struct AixThread {
  tid_t tid;
  size_t stack_len;  // kthread_start_stack
  // i_func, set by the kthread_start that wins the thread: a second one,
  // racing or late, finds it set and fails with ESRCH without touching it.
  int (*func)(void*);
};
static_assert(sizeof(AixThread) <= KT_FACE_AREA, "fits the face area");

thread_local int uerror;

AixThread* aix_of(tid_t tid) {
  return static_cast<AixThread*>(kt_face_area(uint64_t(tid), KT_FACE_AIX));
}

void init_thread(void* area, uint64_t t, void*) {
  kt_face_claim(area, KT_FACE_AIX);
  static_cast<AixThread*>(area)->tid = tid_t(t);
}

// The entry: i_func gets the address of the data copy; its int is discarded
// and returning ends the thread normally.
void entry(void* data) {
  auto* a = static_cast<AixThread*>(kt_face_self(KT_FACE_AIX));
  __atomic_load_n(&a->func, __ATOMIC_ACQUIRE)(data);
}

uint64_t mask_of(const sigset_t* set) {
  uint64_t m = 0;
  if (!set) return 0;
  for (int sig = 1; sig <= 64 && sig < NSIG; sig++)
    if (sigismember(set, sig) == 1) m |= uint64_t(1) << (sig - 1);
  return m;
}

}  // namespace

extern "C" tid_t thread_create(void) {
  if (kt_boot_phase() < KT_BOOT_STARTING) kt_panic("thread_create: called before kt_boot");
  kt_thread_attr a{};
  a.name = "kthread";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE;
  a.stack_nominal = KTHREAD_DEFAULT_STACK;
  a.init = init_thread;
  kt_tid_t t = 0;
  const int rc = kt_thread_reserve(&a, &t);
  uerror = rc;
  return rc == 0 ? tid_t(t) : -1;
}

extern "C" int getuerror(void) { return uerror; }

extern "C" int kthread_start_stack(tid_t tid, size_t len) {
  AixThread* a = aix_of(tid);
  if (!a || kt_thread_state(uint64_t(tid)) != KT_IDLE_STATE) return ESRCH;
  a->stack_len = len;
  return 0;
}

extern "C" int kthread_start(tid_t tid, int (*i_func)(void*), void* i_data_addr, size_t i_data_len,
                             void* i_stackaddr, sigset_t* i_sigmask) {
  AixThread* a = aix_of(tid);
  if (!a) return ESRCH;
  if (!i_func) return EINVAL;
  if (i_stackaddr && a->stack_len == 0) return EINVAL;  // size unknown: see kthread_start_stack
  if (i_data_len && !i_data_addr) return EINVAL;
  // The data may take a quarter of the stack (aligned, plus the alignment
  // of the top): of the stack AIX would give, not of the mapping, which the
  // sanitizers make larger.
  const size_t stack = i_stackaddr ? a->stack_len : KTHREAD_DEFAULT_STACK;
  if (((i_data_len + 15) & ~size_t(15)) + 16 > stack / 4) return EINVAL;
  int (*none)(void*) = nullptr;
  if (!__atomic_compare_exchange_n(&a->func, &none, i_func, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return ESRCH;  // being started, or started
  kt_launch l{};
  l.func = entry;
  l.data = i_data_addr;
  l.data_len = i_data_len;
  if (i_stackaddr) {
    l.stack_top = i_stackaddr;
    l.stack_len = a->stack_len;
  } else {
    l.stack_size = KTHREAD_DEFAULT_STACK;
  }
  l.sigmask = mask_of(i_sigmask);
  const int rc = kt_thread_launch(uint64_t(tid), &l);
  if (rc != 0) {
    __atomic_store_n(&a->func, nullptr, __ATOMIC_RELEASE);  // still TSIDL: may be started again
    return rc;
  }
  return 0;
}

extern "C" void thread_terminate(void) { kt_thread_exit(0); }

extern "C" tid_t thread_self(void) {
  const uint64_t t = kt_thread_self();
  return t ? tid_t(t) : -1;
}

extern "C" void kthread_kill(tid_t tid, int sig) {
  // A signal to a TSIDL thread stays pending and is honoured against
  // i_sigmask once kthread_start runs it (semantics.md 7.1): the core keeps
  // an idle thread's signals so.
  // It returns nothing, so a tid that names no thread (gone, never made,
  // -1 on a host thread) is fatal (semantics.md 9), not a silent no-op.
  if (kt_signal(tid == -1 ? kt_thread_self() : uint64_t(tid), sig) == ESRCH)
    kt_panic("kthread_kill: tid %ld names no kernel thread (gone, or never created)", long(tid));
}

extern "C" int thread_getstate(tid_t tid) {
  switch (kt_thread_state(uint64_t(tid))) {
    case KT_IDLE_STATE:
      return TSIDL;
    case KT_RUNNABLE:
    case KT_RUNNING:
    case KT_HOSTCALL:
      return TSRUN;
    case KT_SLEEPING:
    case KT_SUSPENDED:
      return TSSLEEP;
    case KT_BROKEN:
      return TSSTOP;
    case KT_ZOMBIE:
      return TSZOMB;
    default:
      return TSNONE;
  }
}
