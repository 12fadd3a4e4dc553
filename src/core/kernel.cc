// Boot and shutdown, the host threads that drive the vCPUs, host calls,
// and the console.
#include "core/kernel.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <new>

#include "base/assert.h"
#include "base/clock.h"
#include "base/futex.h"
#include "core/biglock.h"
#include "core/clock.h"
#include "core/sched.h"
#include "core/startup.h"
#include "md/stack.h"
#include "sync/sleepq.h"

namespace kt {
namespace {

std::atomic<KernelState*> g_kernel{nullptr};
// enum kt_boot_phase: DOWN -> BUILDING -> STARTING -> UP -> STOPPING -> DOWN.
// Only the host thread in kt_boot or kt_shutdown moves it, except that the
// first move out of DOWN and out of UP is a CAS: one booter, one shutdown.
std::atomic<int> g_boot_state{KT_BOOT_DOWN};
// Kernels abandoned by a shutdown that found a vCPU stuck, newest first:
// their memory must outlive the host threads still running in it. Written
// only by kt_shutdown, which the boot phase serialises.
KernelState* g_abandoned = nullptr;

// Once the handlers have had the whole wait, the vCPUs still get this long
// to see `stopping`: a handler that never returns must not cost the kernel.
constexpr uint64_t kStopGraceNs = 100 * 1000000ull;

unsigned host_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return unsigned(CPU_COUNT(&set));
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? unsigned(n) : 1;
}

void host_main(KernelState* k, HostThread* h, Vcpu* initial) {
  h->kernel = k;
  host_set_self(h);
  md::altstack_setup();
  md::san_adopt_host(&h->san);
  h->vcpu = initial;
  k->running_hosts.fetch_add(1, std::memory_order_release);
  for (bool first = true;; first = false) {
    if (h->vcpu) h->vcpu->run_loop(h);
    if (k->stopping.load(std::memory_order_acquire)) break;
    // The vCPU went to another host thread while ours served a host call:
    // wait in the spare pool until a vCPU needs a driver again. A thread
    // started by kt_hostcall_enter has its vCPU on the way already and must
    // not be in the pool while it drives it: the next host call would pick
    // the very host thread that is about to block, and the vCPU would stop.
    if (!first || initial) {
      SpinGuard g(k->host_lock);
      if (h->lent) {
        h->lent = false;
        k->nlent--;
      }
      h->next_spare = k->spares;
      k->spares = h;
    }
    for (;;) {
      const uint32_t w = h->park_word.load(std::memory_order_acquire);
      if (Vcpu* v = h->assigned.exchange(nullptr, std::memory_order_acq_rel)) {
        h->vcpu = v;
        break;
      }
      if (k->stopping.load(std::memory_order_acquire)) break;
      futex_wait(&h->park_word, w, 0);
    }
    if (!h->vcpu) break;
  }
  md::altstack_teardown();
  host_set_self(nullptr);
  k->running_hosts.fetch_sub(1, std::memory_order_release);
}

bool start_host(KernelState* k, Vcpu* v) KT_REQUIRES(k->host_lock) {
  auto* h = new (std::nothrow) HostThread;
  if (!h) return false;
  try {
    k->host_threads.emplace_back(host_main, k, h, v);
  } catch (...) {
    delete h;
    return false;
  }
  k->hosts.push_back(h);
  return true;
}

int validate(const kt_config& c) {
  if (c.ncpu > KT_MAXCPU) return EINVAL;
  if (c.hz > 100000) return EINVAL;
  if (c.stack_size && (c.stack_size < KT_MIN_STACK || c.stack_size > (size_t(1) << 30)))
    return EINVAL;
  if (c.slice_ticks > 100000) return EINVAL;
  if (c.stack_guard > KT_GUARD_CANARY || c.kt_reserved0) return EINVAL;
  for (uintptr_t r : c.kt_reserved)
    if (r) return EINVAL;
  return 0;
}

void wake_everyone(KernelState* k) {
  for (unsigned i = 0; i < k->ncpu; i++) k->vcpu(i)->kick();
  SpinGuard g(k->host_lock);
  for (HostThread* h : k->hosts) {
    h->park_word.fetch_add(1, std::memory_order_release);
    futex_wake(&h->park_word, 1);
  }
}

// report_left() lists the threads the kernel leaves behind, all but skip:
// the shutdown thread, once its handlers are done, is only on its way out.
void report_left(KernelState* k, kt_tid_t skip) {
  unsigned n = 0;
  proctab::for_each([&](KThread* t) {
    if (t->kernel_ != k || t->tid() == skip) return;
    const ThreadState s = t->state_.load(std::memory_order_acquire);
    const char* w = t->wmesg_.load(std::memory_order_relaxed);
    fprintf(k->console, "kt_shutdown: left pid %d '%s' %s%s%s\n", t->pid_, t->name_, to_string(s),
            s == ThreadState::kSleeping && w ? " on " : "",
            s == ThreadState::kSleeping && w ? w : "");
    n++;
  });
  if (n) fprintf(k->console, "kt_shutdown: %u kernel thread%s left behind\n", n, n == 1 ? "" : "s");
}

void release_threads(KernelState* k) {
  proctab::for_each([&](KThread* t) {
    if (t->kernel_ != k) return;  // an abandoned kernel's: may still run
    // Unhook it from the structures that outlive this kernel (the sleep
    // queues) and from those about to go (run queues, timer heaps).
    sleep_abandon(&t->slp_);
    t->rq_link_ = ListNode{};
    t->timer_idx_ = -1;
    t->timer_vcpu_ = nullptr;
    md::san_release(&t->san_);
    md::stack_free(&t->stack_, nullptr);
    proctab::free(t, nullptr);
  });
}

// stop_vcpus() tells every vCPU to stop and waits until deadline for their
// host threads to leave; a host thread blocked in a host call is not waited
// for. Returns how many are still busy.
unsigned stop_vcpus(KernelState* k, uint64_t deadline) {
  k->stopping.store(true, std::memory_order_seq_cst);
  for (;;) {
    wake_everyone(k);
    unsigned in_hostcall = 0;
    proctab::for_each([&](KThread* t) {
      if (t->kernel_ == k && t->state_.load(std::memory_order_relaxed) == ThreadState::kHostcall)
        in_hostcall++;
    });
    const unsigned running = k->running_hosts.load(std::memory_order_acquire);
    if (running <= in_hostcall || now_ns() >= deadline) return running;
    usleep(1000);
  }
}

// dispose() frees a stopped kernel, or, with host threads still busy in it,
// abandons it to them: its memory stays, and the next boot starts afresh.
void dispose(KernelState* k, unsigned busy) {
  // The clock stops whatever the vCPUs do (stop_vcpus set stopping, which it
  // looks at every tick), before the vCPUs it reads can go.
  clock_stop(k);
  if (busy) {
    // A vCPU is still running a kernel thread that never reaches a
    // preemption point, or a host call has not returned.
    fprintf(k->console, "kt_shutdown: %u host thread%s still busy; abandoned\n", busy,
            busy == 1 ? "" : "s");
    {
      SpinGuard g(k->host_lock);
      for (auto& th : k->host_threads) th.detach();
    }
    md::stacks_abandon();
    k->abandoned_next = g_abandoned;
    g_abandoned = k;
  } else {
    std::vector<std::thread> threads;
    {
      SpinGuard g(k->host_lock);
      threads.swap(k->host_threads);
    }
    for (auto& th : threads) th.join();
    release_threads(k);
    for (unsigned i = 0; i < k->ncpu; i++) {
      thread_cache_drain(&k->vcpu(i)->threads_);
      md::stack_cache_drain(&k->vcpu(i)->stacks_);
    }
    md::stacks_fini();
    SpinGuard g(k->host_lock);
    for (HostThread* h : k->hosts) delete h;
    k->hosts.clear();
  }
  fflush(k->console);
  g_kernel.store(nullptr, std::memory_order_release);
  if (!busy) {
    delete[] k->vcpus;
    delete k;
  }
}

// errno_slot() is the calling host thread's errno, looked up afresh: glibc
// declares __errno_location() const, so a plain errno after a switch may
// reuse the address computed on the host thread we left. The asm keeps the
// compiler from proving this function const in turn.
[[gnu::noinline]] int* errno_slot() {
  int* p = &errno;
  asm volatile("" : "+r"(p));
  return p;
}

}  // namespace

KernelState* kern() {
  // A host thread keeps the kernel it was started by, so one left running by
  // an abandoning shutdown never sees the next boot's.
  HostThread* h = host_self();
  if (h && h->kernel) return h->kernel;
  return g_kernel.load(std::memory_order_acquire);
}

void console_printf(const char* fmt, ...) {
  KernelState* k = kern();
  FILE* out = k ? k->console : stderr;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fflush(out);
}

const char* to_string(ThreadState s) {
  switch (s) {
    case ThreadState::kFree:
      return "free";
    case ThreadState::kIdle:
      return "idle";
    case ThreadState::kRunnable:
      return "runnable";
    case ThreadState::kRunning:
      return "running";
    case ThreadState::kSleeping:
      return "sleeping";
    case ThreadState::kSuspended:
      return "suspended";
    case ThreadState::kBroken:
      return "broken";
    case ThreadState::kZombie:
      return "zombie";
    case ThreadState::kHostcall:
      return "hostcall";
  }
  return "?";
}

void describe_current(char* buf, size_t len) {
  HostThread* h = host_self();
  KThread* t = h ? h->cur : nullptr;
  if (t)
    snprintf(buf, len, "pid %d '%s' on vcpu %d", t->pid_, t->name_,
             h->vcpu ? int(h->vcpu->id) : -1);
  else
    snprintf(buf, len, "host thread, not a kernel thread");
}

bool describe_overflow(const void* addr, char* buf, size_t len) {
  HostThread* h = host_self();
  KThread* t = h ? h->cur : nullptr;
  if (!t || !md::guard_contains(t->stack_, addr)) return false;
  snprintf(buf, len, "panic: kernel thread pid %d '%s' overflowed its %zu-byte stack (%s) at %p\n",
           t->pid_, t->name_, t->stack_.size, md::to_string(t->stack_.guard), addr);
  return true;
}

// Blocking host calls: the vCPU moves to a spare host thread while this one
// blocks in the host with the kernel thread's stack.
void hostcall_enter() {
  HostThread* h = host_self();
  KThread* t = h ? h->cur : nullptr;
  if (!t) return;  // a host thread may block as it likes
  Vcpu* v = h->vcpu;
  if (!v) panic("kt_hostcall_enter: pid %d '%s' is already in a host call", t->pid_, t->name_);
  KernelState* k = kern();
  HostThread* spare = nullptr;
  {
    SpinGuard g(k->host_lock);
    if (k->spares) {
      spare = k->spares;
      k->spares = spare->next_spare;
    } else if (k->nlent < k->max_hostcalls && start_host(k, nullptr)) {
      spare = k->hosts.back();
    }
    if (spare) {
      spare->lent = true;
      k->nlent++;
    }
  }
  // No host thread to spare: the call blocks this vCPU, as it would
  // without the wrapper.
  if (!spare) return;
  t->biglock_saved_ = biglock_release_all(t);
  h->vcpu = nullptr;
  t->state_.store(ThreadState::kHostcall, std::memory_order_relaxed);
  spare->assigned.store(v, std::memory_order_release);
  spare->park_word.fetch_add(1, std::memory_order_release);
  futex_wake(&spare->park_word, 1);
}

void hostcall_exit() {
  HostThread* h = host_self();
  KThread* t = h ? h->cur : nullptr;
  if (!t || h->vcpu) return;  // not in a host call, or it kept its vCPU
  // Back to this host thread's own context, which queues us on a vCPU once
  // our registers are saved, and then retires to the spare pool. We resume
  // on another host thread, whose errno is not the host call's: carry it.
  const int saved = t->biglock_saved_;
  const int host_errno = *errno_slot();
  t->state_.store(ThreadState::kRunnable, std::memory_order_relaxed);
  h->hook = SwitchHook{SwitchHook::kHostcall, t, nullptr};
  h->cur = nullptr;
  md::san_before(&t->san_, &h->san, false);
  finish_switch(md::jump(h->loop_ctx, t));
  biglock_reacquire(curthread(), saved);
  *errno_slot() = host_errno;
}

}  // namespace kt

using namespace kt;

extern "C" int kt_boot(const struct kt_config* cfg) {
  kt_config c{};
  if (cfg) c = *cfg;
  if (int e = validate(c)) return e;
  int down = KT_BOOT_DOWN;
  if (!g_boot_state.compare_exchange_strong(down, KT_BOOT_BUILDING)) return EBUSY;

  auto* k = new KernelState;
  k->ncpu = c.ncpu ? c.ncpu : std::min<unsigned>(host_cores(), KT_MAXCPU);
  k->maxproc = c.maxproc ? c.maxproc : KT_DEFAULT_MAXPROC;
  k->stack_size = (c.stack_size ? c.stack_size : KT_DEFAULT_STACK) * md::kSanitizerStackFactor;
  k->hz = c.hz ? c.hz : 1000;
  k->tick_ns = 1000000000ull / k->hz;
  k->slice_ticks = c.slice_ticks ? c.slice_ticks : 10;
  k->slice_ns = k->slice_ticks * k->tick_ns;
  k->max_hostcalls = c.max_hostcalls ? c.max_hostcalls : 64;
  k->shutdown_wait_ms = c.shutdown_wait_ms ? c.shutdown_wait_ms : 2000;
  k->console = c.console ? c.console : stderr;
  k->max_spinning = std::max(1u, host_cores());
  k->boot_ns = now_ns();
  k->vcpus = new Vcpu[k->ncpu];
  for (unsigned i = 0; i < k->ncpu; i++) {
    k->vcpus[i].id = i;
    k->vcpus[i].kernel = k;
  }

  proctab::set_maxproc(k->maxproc);
  md::stacks_init(k->stack_size, c.stack_guard);
  md::overflow_handler_install();
  g_kernel.store(k, std::memory_order_release);

  // The clock first: the vCPUs find it when they come out of a park.
  bool ok = clock_start(k);
  {
    SpinGuard g(k->host_lock);
    for (unsigned i = 0; i < k->ncpu && ok; i++) ok = start_host(k, k->vcpu(i));
  }
  if (!ok) {
    // Start-up never ran, so no shutdown handler runs for it: stop the
    // vCPUs that did start, and forget the kernel.
    report_left(k, 0);
    dispose(k, stop_vcpus(k, now_ns() + uint64_t(k->shutdown_wait_ms) * 1000000u));
    g_boot_state.store(KT_BOOT_DOWN, std::memory_order_release);
    return EAGAIN;
  }
  while (k->running_hosts.load(std::memory_order_acquire) < k->ncpu) std::this_thread::yield();
  // Start-up functions may create threads (kproc_start); the system is up,
  // for kt_booted(), only once they have all run.
  g_boot_state.store(KT_BOOT_STARTING, std::memory_order_release);
  startup_run();
  g_boot_state.store(KT_BOOT_UP, std::memory_order_release);
  return 0;
}

// The whole shutdown gets shutdown_wait_ms: first the handlers, then the
// vCPUs, which get at least kStopGraceNs to stop (more if the handlers left
// time). Whatever is still busy then is reported and abandoned.
extern "C" void kt_shutdown(int howto) {
  if (curthread()) panic("kt_shutdown: called from a kernel thread; shut down from a host thread");
  int up = KT_BOOT_UP;
  if (!g_boot_state.compare_exchange_strong(up, KT_BOOT_STOPPING)) return;
  KernelState* k = kern();
  const uint64_t start = now_ns();
  const uint64_t wait = uint64_t(k->shutdown_wait_ms) * 1000000u;
  const uint64_t deadline = start + wait;
  k->shutdown = shutdown_start(howto);
  const bool handlers_done = shutdown_wait(k->shutdown, deadline);
  const unsigned waited_ms = unsigned((now_ns() - start) / 1000000u);
  const unsigned busy = stop_vcpus(k, std::max(deadline, now_ns() + std::min(wait, kStopGraceNs)));
  if (!handlers_done) shutdown_report(k->shutdown, k->console, waited_ms);
  report_left(k, handlers_done ? shutdown_thread(k->shutdown) : 0);
  // The run goes with the kernel: freed with it, or left to its threads.
  ShutdownRun* run = k->shutdown;
  if (!busy) k->shutdown = nullptr;
  shutdown_finish(run, busy != 0);
  dispose(k, busy);
  g_boot_state.store(KT_BOOT_DOWN, std::memory_order_release);
}

extern "C" int kt_booted(void) {
  return g_boot_state.load(std::memory_order_acquire) == KT_BOOT_UP;
}
extern "C" int kt_boot_phase(void) { return g_boot_state.load(std::memory_order_acquire); }
extern "C" unsigned kt_ncpu(void) {
  KernelState* k = kern();
  return k ? k->ncpu : 0;
}
extern "C" unsigned kt_hz(void) {
  KernelState* k = kern();
  return k ? k->hz : 0;
}
extern "C" uint64_t kt_ticks(void) {
  KernelState* k = kern();
  return k ? (now_ns() - k->boot_ns) / k->tick_ns : 0;
}
