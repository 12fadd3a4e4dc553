// The kt_* C ABI: argument checks and handle lookups onto the core.
#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "base/clock.h"
#include "base/racy.h"
#include "core/biglock.h"
#include "core/kernel.h"
#include "core/lifecycle.h"
#include "core/sched.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"
#include "sync/sleepq.h"

namespace kt {
void hostcall_enter();
void hostcall_exit();
}  // namespace kt

using namespace kt;

namespace {

uint64_t deadline_after(uint64_t timo_ns) { return timo_ns ? now_ns() + timo_ns : 0; }

}  // namespace

extern "C" {

int kt_thread_create(const struct kt_thread_attr* attr, void (*func)(void*), void* arg,
                     kt_tid_t* out) {
  int err;
  KThread* t = thread_alloc(attr, func, arg, &err);
  if (!t) return err;
  thread_prepare_context(t);
  if (out) *out = t->tid();  // published before the thread can run (R1)
  thread_release(t);
  preempt();
  return 0;
}

// Every primitive that can make a thread runnable ends in a preemption
// point: a more urgent thread it woke on this vCPU runs at once.
int kt_thread_start(kt_tid_t t) {
  const int rc = thread_start(t);
  preempt();
  return rc;
}

int kt_thread_reserve(const struct kt_thread_attr* attr, kt_tid_t* out) {
  return thread_reserve(attr, out);
}

int kt_thread_launch(kt_tid_t t, const struct kt_launch* l) {
  const int rc = thread_launch_reserved(t, l);
  preempt();
  return rc;
}

void kt_thread_exit(int code) { thread_exit(code); }

int kt_thread_join(kt_tid_t t, int* code) { return thread_join(t, code); }

int kt_thread_detach(kt_tid_t t) {
  const int rc = thread_detach(t);
  preempt();
  return rc;
}

kt_tid_t kt_thread_self(void) {
  KThread* t = curthread();
  return t ? t->tid() : 0;
}

void kt_thread_yield(void) { kt::sched_yield(); }

void kt_preempt(void) { preempt(); }

// Introspection reads under the thread's lock once its handle is checked
// there (with_live): a slot freed meanwhile is never read in the person of
// the thread that took it. Fields the thread itself changes without the
// lock (its priority) are a moment stale at worst, and said to be so.
int kt_thread_pid(kt_tid_t t) {
  int pid = -1;
  with_live(t, [&](KThread* p) {
    p->lock_.assert_held();
    pid = p->pid_;
  });
  return pid;
}

int kt_thread_state(kt_tid_t t) {
  int s = -1;
  with_live(t, [&](KThread* p) {
    p->lock_.assert_held();
    s = int(p->state_.load(std::memory_order_relaxed));
  });
  return s;
}

int kt_thread_priority(kt_tid_t t) {
  int pri = -1;
  with_live(t, [&](KThread* p) {
    p->lock_.assert_held();
    KT_RACY_READS_BEGIN();
    pri = p->pri_;
    KT_RACY_READS_END();
  });
  return pri;
}

int kt_thread_set_priority(kt_tid_t t, int pri) {
  if (pri < KT_PRI_MIN || pri > KT_PRI_MAX) return EINVAL;
  KThread* p = proctab::lookup(t);
  if (!p) return ESRCH;
  // Only the thread itself changes its priority while it may be queued;
  // others would have to pull it off its run queue first.
  if (p != curthread()) return EPERM;
  p->base_pri_ = p->pri_ = uint8_t(pri);
  if (p->sched_ == KT_SCHED_TS) ts_update(p);
  return 0;
}

int kt_thread_cpu(kt_tid_t t) {
  int cpu = -1;
  with_live(t, [&](KThread* p) {
    p->lock_.assert_held();
    Vcpu* v = p->vcpu_.load(std::memory_order_relaxed);
    cpu = v ? int(v->id) : -1;
  });
  return cpu;
}

int kt_thread_name(kt_tid_t t, char* buf, size_t len) {
  if (!buf || len == 0) return proctab::lookup(t) ? EINVAL : ESRCH;
  const bool live = with_live(t, [&](KThread* p) {
    p->lock_.assert_held();
    strncpy(buf, p->name_, len - 1);
    buf[len - 1] = '\0';
  });
  return live ? 0 : ESRCH;
}

int kt_thread_exit_status(kt_tid_t t, int* code) {
  KThread* p = proctab::lookup(t);
  if (!p) return ESRCH;
  SpinGuard g(p->lock_);
  if (p->tid() != t) return ESRCH;
  if (p->state_.load(std::memory_order_relaxed) != ThreadState::kZombie) return EBUSY;
  if (code) *code = p->exit_code_;
  return 0;
}

int kt_thread_stack(kt_tid_t t, size_t* nominal, size_t* mapped) {
  const bool live = with_live(t, [&](KThread* p) {
    p->lock_.assert_held();
    if (nominal) *nominal = p->stack_nominal_;
    if (mapped) *mapped = p->stack_.size;
  });
  return live ? 0 : ESRCH;
}

void kt_hostcall_enter(void) { hostcall_enter(); }
void kt_hostcall_exit(void) { hostcall_exit(); }

void kt_biglock_enter(void) { biglock_acquire(curthread_or_panic("kt_biglock_enter")); }
void kt_biglock_exit(void) { biglock_release(curthread_or_panic("kt_biglock_exit")); }
int kt_biglock_held(void) { return biglock_held(curthread()); }

int kt_sleep(const void* wchan, const char* wmesg, int flags, uint64_t timo_ns) {
  curthread_or_panic("kt_sleep");
  if (!wchan) panic("kt_sleep: NULL wait channel");
  return kt::sleep_on(wchan, wmesg, flags, deadline_after(timo_ns));
}

int kt_sleep_unless(const void* wchan, const char* wmesg, int flags, uint64_t timo_ns,
                    int (*done)(void*), void* arg) {
  curthread_or_panic("kt_sleep_unless");
  if (!wchan) panic("kt_sleep_unless: NULL wait channel");
  if (!done) panic("kt_sleep_unless: NULL done function");
  return kt::sleep_unless(wchan, wmesg, flags, deadline_after(timo_ns), done, arg);
}

void kt_sleep_setup(const void* wchan, const char* wmesg, int flags) {
  KThread* t = curthread_or_panic("kt_sleep_setup");
  if (!wchan) panic("kt_sleep_setup: NULL wait channel");
  sleep_setup(&t->slp_, wchan, wmesg, flags);
}

int kt_sleep_finish(uint64_t timo_ns, int do_sleep) {
  KThread* t = curthread_or_panic("kt_sleep_finish");
  return sleep_finish(&t->slp_, deadline_after(timo_ns), do_sleep != 0);
}

int kt_wakeup(const void* wchan) {
  const int n = wakeup_n(wchan, -1);
  preempt();
  return n;
}

int kt_wakeup_one(const void* wchan) {
  const int n = wakeup_n(wchan, 1);
  preempt();
  return n;
}

int kt_interrupt(uint64_t t) {
  // Under the thread's lock, where the slot is retired: a thread that exits
  // meanwhile is not interrupted in the person of its successor.
  const bool live = with_live(t, [](KThread* p) {
    p->lock_.assert_held();
    interrupt(p);
  });
  preempt();
  return live ? 0 : ESRCH;
}

}  // extern "C"
