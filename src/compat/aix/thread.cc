// AIX kernel-only threads (seed 004; semantics.md 7): thread_create makes a
// TSIDL thread with the core's two-step life cycle, kthread_start launches
// it. Decisions are listed in sys/thread.h.
#include "kt/c/thread.h"

#include <sys/thread.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "kt/c/control.h"
#include "kt/c/face.h"

namespace {

constexpr uint32_t kAixMagic = 0x41495854;  // "AIXT"

// The AIX view of a thread, in its face area.
struct AixThread {
  uint32_t magic;
  tid_t tid;
  size_t stack_len;  // kthread_start_stack
};
static_assert(sizeof(AixThread) <= KT_FACE_AREA, "fits the face area");

thread_local int uerror;

AixThread* aix_of(tid_t tid) {
  auto* a = static_cast<AixThread*>(kt_face_area(uint64_t(tid)));
  return a && a->magic == kAixMagic ? a : nullptr;
}

void init_thread(void* area, uint64_t t, void*) {
  auto* a = static_cast<AixThread*>(area);
  a->magic = kAixMagic;
  a->tid = tid_t(t);
}

// What kthread_start copies to the top of the new stack: the entry point,
// then the caller's data. Carrying i_func in the copy (rather than in the
// face area) keeps a second, failing kthread_start from touching a thread
// that is already starting.
struct StartBlock {
  int (*func)(void*);
  alignas(16) unsigned char data[];
};

// The entry: the data copy's address goes to i_func; its int is discarded
// and returning ends the thread normally.
void entry(void* p) {
  auto* b = static_cast<StartBlock*>(p);
  b->func(b->data);
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
  kt_thread_attr a{};
  a.name = "kthread";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE;
  a.init = init_thread;
  kt_tid_t t = 0;
  const int rc = kt_thread_reserve(&a, &t);
  if (rc != 0) {
    uerror = rc == ENXIO ? EINVAL : rc;
    return -1;
  }
  uerror = 0;
  return tid_t(t);
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
  // A small block goes on this stack; a large one is allocated (rare).
  const size_t len = sizeof(StartBlock) + i_data_len;
  alignas(16) unsigned char local[256];
  auto* b = reinterpret_cast<StartBlock*>(len <= sizeof local ? local : new unsigned char[len]);
  b->func = i_func;
  if (i_data_len) memcpy(b->data, i_data_addr, i_data_len);
  kt_launch l{};
  l.func = entry;
  l.data = b;
  l.data_len = len;
  if (i_stackaddr) {
    l.stack_top = i_stackaddr;
    l.stack_len = a->stack_len;
  } else {
    l.stack_size = KTHREAD_DEFAULT_STACK;
  }
  l.sigmask = mask_of(i_sigmask);
  const int rc = kt_thread_launch(uint64_t(tid), &l);
  if (reinterpret_cast<unsigned char*>(b) != local) delete[] reinterpret_cast<unsigned char*>(b);
  return rc;
}

extern "C" void thread_terminate(void) { kt_thread_exit(0); }

extern "C" tid_t thread_self(void) {
  const uint64_t t = kt_thread_self();
  return t ? tid_t(t) : -1;
}

extern "C" void kthread_kill(tid_t tid, int sig) {
  kt_signal(tid == -1 ? kt_thread_self() : uint64_t(tid), sig);
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
