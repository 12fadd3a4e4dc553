// Creating, starting, exiting and joining kernel threads.
#include "core/lifecycle.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "base/assert.h"
#include "core/biglock.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/unwind.h"
#include "kt/c/face.h"
#include "md/fpu.h"
#include "sync/note.h"
#include "sync/sleepq.h"

namespace kt {
namespace {

constexpr size_t kMaxStack = size_t(1) << 30;

char*& entry_sp(KThread* t) { return t->entry_sp_; }

// problem() names what is wrong with a creation request, or is nullptr.
const char* problem(const kt_thread_attr* a, void (*func)(void*), const KernelState* k) {
  if (!a) return "no attributes";
  if (!func) return "no entry function";
  if (a->pri != -1 && (a->pri < KT_PRI_MIN || a->pri > KT_PRI_MAX))
    return "priority outside 0..255";
  if (a->sched != KT_SCHED_RR && a->sched != KT_SCHED_TS) return "unknown scheduling class";
  if (a->cpu != -1 && (a->cpu < 0 || unsigned(a->cpu) >= k->ncpu)) return "no such vCPU to bind to";
  if (a->flags & ~unsigned(KT_THREAD_FLAGS_ALL)) return "unknown flag";
  if ((a->flags & KT_INTR) && !(a->flags & KT_MPSAFE)) return "an interrupt thread must be MPSAFE";
  if ((a->stack_top == nullptr) != (a->stack_len == 0))
    return "a caller's stack needs both its top and its size";
  if (a->stack_top && a->stack_len < KT_MIN_STACK)
    return "the caller's stack is below KT_MIN_STACK";
  if (a->stack_size && (a->stack_size < KT_MIN_STACK || a->stack_size > kMaxStack))
    return "stack size outside KT_MIN_STACK..1 GiB";
  if (a->data_len && !a->data) return "data length without data";
  for (uintptr_t r : a->kt_reserved)
    if (r) return "a reserved attribute word is set";
  return nullptr;
}

int validate(const kt_thread_attr* a, void (*func)(void*), const KernelState* k) {
  return problem(a, func, k) ? EINVAL : 0;
}

[[noreturn]] void exit_final(KThread* t);

// kernel_for_creation() is the kernel a new thread goes into, or nullptr.
// A host thread may create only while the system starts or is up: once
// kt_shutdown has begun it gets ENXIO, as after it (a create that truly
// races kt_shutdown from another host thread is the caller's bug, as using
// an object while it is destroyed is; see kt/kernel.h). A kernel thread runs
// only while its vCPU does, and may create until the end.
KernelState* kernel_for_creation() {
  KernelState* k = kern();
  if (!k || curthread()) return k;
  const int phase = kt_boot_phase();
  return phase == KT_BOOT_STARTING || phase == KT_BOOT_UP ? k : nullptr;
}

// enter() calls the entry function. Exit's forced unwind ends when it has
// left this frame's callees, before the trampoline's handlers are looked at.
[[gnu::noinline]] void enter(KThread* t) {
  t->unwind_stop_ = reinterpret_cast<uintptr_t>(__builtin_dwarf_cfa());
  t->entry_(t->arg_);
}

void trampoline(md::Transfer tr) {
  finish_switch(tr);
  KThread* t = curthread();
  if (!t->mpsafe()) biglock_acquire(t);
  // An exception that leaves the entry function has nowhere to go: a kernel
  // panics, naming the thread, rather than std::terminate() without a word.
  try {
    enter(t);
  } catch (const std::exception& e) {
    panic("kernel thread pid %d '%s' let an exception escape its entry function: %s", t->pid_,
          t->name_, e.what());
  } catch (...) {
    panic("kernel thread pid %d '%s' let an exception escape its entry function", t->pid_,
          t->name_);
  }
  if (t->on_return_) t->on_return_();
  // Returned with the status it was created with (0): nothing is left on the
  // stack to unwind, so skip the unwinder.
  exit_final(t);
}

// exit_final() is the part of exit after the unwinding: wait for the
// joiner, give up the big lock, leave the stack.
[[noreturn]] void exit_final(KThread* t) {
  // Sections left open (a C thread that exits inside kthread_fpu_enter):
  // nothing computed in them survives on this host thread, first thing,
  // before any switch (a joinable thread may wait below).
  if (KT_UNLIKELY(t->fpu_depth_)) md::fpu_wipe();
  // The big lock is a sleeping lock: let it go before lock_, since a
  // joinable thread may still have to wait for its joiner under lock_.
  if (t->biglock_depth_) biglock_release_all(t);
  {
    SpinGuard g(t->lock_);
    // Parked under our own lock_, where join and detach look: a join that
    // finds us parked finishes the exit for us.
    if (t->joinable())
      while (!t->joiner_) park_locked(&t->slp_, t->lock_, "mustjoin");
    t->exiting_ = true;
    // Wake a kernel thread waiting in join now rather than from reap(): on
    // this vCPU it becomes the next thread, so the exit switches straight to
    // it and reap() runs in its context before it goes on (two switches per
    // spawn, not three through the vCPU loop). Woken elsewhere, it finds no
    // zombie yet and parks again until reap() wakes it.
    if (t->joiner_slp_ && t->joiner_slp_->thread) unpark_locked(t->joiner_slp_, t->lock_);
  }
  sched_exit(t);
}

// run_from_idle() makes runnable a thread that has just left kIdle (under
// its lock_, where kt_signal looks): a signal its mask lets through, posted
// while it was idle, interrupts its first interruptible sleep (seq_cst
// against kt_signal's post).
void run_from_idle(KThread* t) {
  if (t->sigpending_.load(std::memory_order_seq_cst) & ~t->sigmask_.load(std::memory_order_seq_cst))
    interrupt(t);
  setrunnable(t);
}

// land_exit() is where exit's unwind ends: with every frame of the entry
// function gone.
void land_exit(void* t) { exit_final(static_cast<KThread*>(t)); }

// alloc_descriptor() builds an idle thread with everything but a stack and
// an entry: the first half of thread_alloc, and all of kt_thread_reserve.
KThread* alloc_descriptor(const kt_thread_attr* a, KernelState* k, int* err, bool exempt = false) {
  Vcpu* v = curvcpu();
  ThreadCache* cache = v ? &v->threads_ : nullptr;
  KThread* t = (a->flags & KT_HIGHPID) ? proctab::alloc_high(cache, err, exempt)
                                       : proctab::alloc(cache, err, exempt);
  if (!t) return nullptr;
  t->kernel_ = k;
  t->stack_ = md::Stack{};
  t->stack_nominal_ = a->stack_nominal;
  t->entry_sp_ = nullptr;
  t->entry_ = nullptr;
  t->arg_ = nullptr;
  t->sched_ = uint8_t(a->sched);
  const int pri =
      a->pri != -1 ? a->pri : (a->sched == KT_SCHED_TS ? KT_PRI_TIMESHARE : KT_PRI_KERNEL);
  t->base_pri_ = t->pri_ = uint8_t(pri);
  t->estcpu_ = 0;
  t->slept_at_ = 0;
  t->flags_ = a->flags;
  t->bound_ = a->cpu >= 0 ? k->vcpu(unsigned(a->cpu)) : nullptr;
  t->vcpu_.store(t->bound_ ? t->bound_ : v, std::memory_order_relaxed);
  t->on_return_ = a->on_return;
  t->slp_.thread = t;
  t->intr_pending_.store(0, std::memory_order_relaxed);
  t->wmesg_.store(nullptr, std::memory_order_relaxed);
  t->biglock_depth_ = 0;
  t->fpu_depth_ = 0;
  t->susp_req_.store(false, std::memory_order_relaxed);
  t->sigpending_.store(0, std::memory_order_relaxed);
  t->sigmask_.store(0, std::memory_order_relaxed);
  t->timer_idx_ = -1;
  t->timer_vcpu_ = nullptr;
  // Not published yet: whoever still holds a stale handle to this slot
  // checks the generation under lock_ and leaves before reading these, so
  // they are written without it.
  [&]() KT_NO_THREAD_SAFETY_ANALYSIS {
    t->joiner_ = false;
    t->joiner_slp_ = nullptr;
    t->detached_ = false;
    t->exiting_ = false;
    t->launching_ = false;
    t->startable_ = false;
    t->exit_code_ = 0;
    KT_ASSERT(t->notes_ == nullptr);  // retire_locked() freed them
  }();
  // A face's area is zeroed for it (its init fills it); nobody reads the
  // area of a thread no face owns.
  t->face_owner_.store(KT_FACE_NONE, std::memory_order_relaxed);
  if (a->init) memset(t->face_, 0, sizeof t->face_);
  // Names are short: a plain loop beats strncpy's zero padding.
  const char* name = a->name ? a->name : "";
  size_t n = 0;
  for (; n < KT_MAXCOMLEN && name[n]; n++) t->name_[n] = name[n];
  t->name_[n] = '\0';
  t->state_.store(ThreadState::kIdle, std::memory_order_release);
  return t;
}

// attach_stack() gives an unlaunched thread its stack and copies data to its
// top; on failure the thread is left without a stack.
int attach_stack(KThread* t, KernelState* k, void* top, size_t len, size_t size, const void* data,
                 size_t data_len, void** arg) {
  Vcpu* v = curvcpu();
  if (top) {
    md::stack_adopt(&t->stack_, static_cast<char*>(top), len);
    t->stack_nominal_ = len;  // the caller's stack is what it is
  } else {
    // Introspection reports the size asked for (the face's nominal size, or
    // the option, or the boot default); what is mapped is never smaller than
    // either, and larger under the sanitizers (semantics.md 10.11).
    const size_t asked = size ? size : k->stack_size / md::kSanitizerStackFactor;
    if (t->stack_nominal_ == 0) t->stack_nominal_ = asked;
    const size_t want = std::max(asked, t->stack_nominal_) * md::kSanitizerStackFactor;
    if (!md::stack_alloc(&t->stack_, want, v ? &v->stacks_ : nullptr)) return ENOMEM;
  }
  if (md::stack_needs_canary(t->stack_)) md::stack_set_canary(t->stack_);
  char* const stack_top = t->stack_.top();
  t->entry_sp_ = stack_top - (reinterpret_cast<uintptr_t>(stack_top) & 15);  // 16-byte aligned
  if (data_len) {
    void* copy = thread_carve(t, data_len, 16);
    if (!copy) {
      md::stack_free(&t->stack_, v ? &v->stacks_ : nullptr);
      return EINVAL;
    }
    memcpy(copy, data, data_len);
    *arg = copy;
  }
  return 0;
}

}  // namespace

const char* thread_attr_problem(const kt_thread_attr* a, void (*func)(void*)) {
  const KernelState* k = kern();
  return k ? problem(a, func, k) : "no kernel is booted";
}

KThread* thread_alloc(const kt_thread_attr* a, void (*func)(void*), void* arg, int* err,
                      bool exempt) {
  // The kernel's own threads (start-up, shutdown) are made whatever the
  // phase: they are what moves it.
  KernelState* k = exempt ? kern() : kernel_for_creation();
  if (!k) {
    *err = ENXIO;
    return nullptr;
  }
  if ((*err = validate(a, func, k)) != 0) return nullptr;
  KThread* t = alloc_descriptor(a, k, err, exempt);
  if (!t) return nullptr;
  *err = attach_stack(t, k, a->stack_top, a->stack_len, a->stack_size, a->data, a->data_len, &arg);
  if (*err) {
    thread_discard(t);
    return nullptr;
  }
  t->entry_ = func;
  t->arg_ = arg;
  if (a->init) a->init(t->face_, t->tid(), a->init_arg);
  return t;
}

int thread_reserve(const kt_thread_attr* a, kt_tid_t* out) {
  KernelState* k = kernel_for_creation();
  if (!k) return ENXIO;
  if (!a || a->stack_top || a->stack_len || a->stack_size || a->data || a->data_len) return EINVAL;
  int err = validate(
      a, [](void*) {}, k);
  if (err) return err;
  KThread* t = alloc_descriptor(a, k, &err);
  if (!t) return err;
  t->flags_ |= KT_IDLE;
  if (a->init) a->init(t->face_, t->tid(), a->init_arg);
  if (out) *out = t->tid();
  return 0;
}

int thread_launch_reserved(kt_tid_t tid, const kt_launch* l) {
  KernelState* k = kernel_for_creation();
  if (!k) return ENXIO;
  if (!l || !l->func || (l->stack_top == nullptr) != (l->stack_len == 0) ||
      (l->stack_top && l->stack_len < KT_MIN_STACK) || (l->data_len && !l->data) ||
      (l->stack_size && (l->stack_size < KT_MIN_STACK || l->stack_size > kMaxStack)))
    return EINVAL;
  for (uintptr_t r : l->kt_reserved)
    if (r) return EINVAL;
  KThread* t = proctab::lookup(tid);
  if (!t) return ESRCH;
  {
    // Claim it: only a reserved, never launched thread may be launched, and
    // only once (two racing launchers: one wins, the other gets ESRCH).
    SpinGuard g(t->lock_);
    if (t->tid() != tid || t->state_.load(std::memory_order_relaxed) != ThreadState::kIdle ||
        t->entry_ != nullptr || t->launching_)
      return ESRCH;
    t->launching_ = true;
  }
  void* arg = l->arg;
  const int err =
      attach_stack(t, k, l->stack_top, l->stack_len, l->stack_size, l->data, l->data_len, &arg);
  if (err) {
    SpinGuard g(t->lock_);
    t->launching_ = false;
    return err;
  }
  t->arg_ = arg;
  t->sigmask_.store(l->sigmask, std::memory_order_seq_cst);
  thread_prepare_context(t);
  {
    // Ready: the thread leaves kIdle here, under lock_, where thread_start()
    // looks (entry_ set, launching_ cleared and the state moved together),
    // so the two cannot both start it, nor start it half-made.
    SpinGuard g(t->lock_);
    t->entry_ = l->func;
    t->flags_ &= ~unsigned(KT_IDLE);
    t->launching_ = false;
    t->state_.store(ThreadState::kRunnable, std::memory_order_relaxed);
  }
  run_from_idle(t);
  return 0;
}

void* thread_carve(KThread* t, size_t size, size_t align) {
  char* sp = entry_sp(t);
  // Keep at least three quarters of the stack for the thread itself.
  const size_t a = align < 16 ? 16 : align;
  char* const floor = t->stack_.lo + t->stack_.size / 4 * 3;
  if (size > size_t(sp - floor)) return nullptr;
  char* p = sp - size;
  p -= reinterpret_cast<uintptr_t>(p) & (a - 1);
  if (p < floor) return nullptr;
  entry_sp(t) = p;
  return p;
}

void thread_set_entry(KThread* t, void (*func)(void*), void* arg) {
  t->entry_ = func;
  t->arg_ = arg;
}

void thread_prepare_context(KThread* t) {
  char* sp = entry_sp(t);
  const size_t usable = size_t(sp - t->stack_.lo);
  md::san_prepare(&t->san_, t->stack_.lo, t->stack_.size);
  t->ctx_ = md::make_context(sp, usable, trampoline);
}

void thread_release(KThread* t) {
  if (!(t->flags_ & KT_IDLE)) return setrunnable(t);
  SpinGuard g(t->lock_);
  t->startable_ = true;
}

void thread_launch(KThread* t) {
  thread_prepare_context(t);
  thread_release(t);
}

void thread_discard(KThread* t) {
  Vcpu* v = curvcpu();
  md::stack_free(&t->stack_, v ? &v->stacks_ : nullptr);
  proctab::free(t, v ? &v->threads_ : nullptr);
}

int thread_start(kt_tid_t tid) {
  KThread* t = proctab::lookup(tid);
  if (!t) return ESRCH;
  {
    // Only a thread created idle whose context is made (thread_release) is
    // started here; a reserved one only by kt_thread_launch, and a handle
    // published before its thread's context existed finds nothing to start.
    SpinGuard g(t->lock_);
    if (t->tid() != tid || t->state_.load(std::memory_order_relaxed) != ThreadState::kIdle ||
        !t->startable_)
      return ESRCH;
    t->startable_ = false;
    t->state_.store(ThreadState::kRunnable, std::memory_order_relaxed);
  }
  run_from_idle(t);
  return 0;
}

void thread_exit(int code) {
  KThread* t = curthread();
  if (!t) panic("kthread_exit: called from a host thread; only a kernel thread may exit");
  // No scoped objects in this frame: the forced unwind abandons it, and
  // under ASan a scope left poisoned here would trip the unwinder's helpers.
  t->lock_.lock();
  t->exit_code_ = code;
  t->lock_.unlock();
  // Unwind as pthread_exit does: destructors and catch (...) blocks run,
  // nothing can swallow it, and the thread ends once enter()'s callees are
  // gone, before the trampoline's handlers.
  unwind_to(t->exit_unwind_, t->unwind_stop_, land_exit, t, "kthread_exit");
}

int thread_detach(kt_tid_t tid) {
  KThread* t = proctab::lookup(tid);
  if (!t) return ESRCH;
  SpinGuard g(t->lock_);
  if (t->tid() != tid || t->state_.load(std::memory_order_relaxed) == ThreadState::kFree)
    return ESRCH;
  if (!t->joinable() || t->joiner_) return EINVAL;
  // Detaching is joining by nobody: the exit stops waiting, and reap frees.
  t->joiner_ = true;
  t->detached_ = true;
  unpark_locked(&t->slp_, t->lock_);  // an exit waiting for a joiner
  return 0;
}

int thread_join(kt_tid_t tid, int* code) {
  KThread* t = proctab::lookup(tid);
  if (!t) return ESRCH;
  t->lock_.lock();
  if (t->tid() != tid || t->state_.load(std::memory_order_relaxed) == ThreadState::kFree) {
    t->lock_.unlock();
    return ESRCH;
  }
  if (t == curthread()) {
    t->lock_.unlock();
    return EDEADLK;
  }
  if (!t->joinable() || t->joiner_) {
    t->lock_.unlock();
    return EINVAL;
  }
  t->joiner_ = true;
  t->joiner_slp_ = current_sleeper();
  // The exiting thread, if it is already waiting for us, is parked under
  // lock_, which we hold: what its sleeper says now cannot change under us.
  // All it has left to do is give up its stack, and that we do for it (its
  // context is saved and never resumed): joining a thread that has already
  // exited costs no switch.
  Vcpu* v = curvcpu();
  if (park_cancel(&t->slp_, t->lock_)) {
    t->exiting_ = true;
    md::san_release(&t->san_);
    md::stack_free(&t->stack_, v ? &v->stacks_ : nullptr);
    t->state_.store(ThreadState::kZombie, std::memory_order_relaxed);
  }
  // Only the exit (and reap) of t ends this wait, and both hold lock_:
  // parked, not on a wait channel.
  while (t->state_.load(std::memory_order_relaxed) != ThreadState::kZombie)
    park_locked(t->joiner_slp_, t->lock_, "kjoin");
  t->joiner_slp_ = nullptr;
  const int c = t->exit_code_;
  // Retire it in the same hold of lock_: reap() has let go of it (it set
  // kZombie under lock_), and nobody else may touch a joined thread.
  proctab::retire_locked(t);
  t->lock_.unlock();
  v = curvcpu();  // the sleep may have moved us
  proctab::release(t, v ? &v->threads_ : nullptr);
  if (code) *code = c;
  return 0;
}

}  // namespace kt
