// Plan 9 kproc(9), error(9), sleep(9), qlock(9) (seed 003; semantics.md 6)
// onto the core: notes, Rendez, QLocks and the Broken list live there; this
// file translates, and keeps the setjmp label stack that C code needs.

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "kt/c/control.h"
#include "kt/c/face.h"
#include "kt/c/rendez.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"
#include "portfns.h"

static_assert(sizeof(Proc) <= KT_FACE_AREA, "Proc fits the face area");

extern "C" {
char Eintr[] = "interrupted";
}

namespace {

// What kproc copies to the top of the new process's stack: the entry, and
// the name, whole, which text points at for as long as the process lives
// (Broken included): Plan 9 keeps a copy of any length, and so does this.
struct Start {
  void (*func)(void*);
  void* arg;
  size_t len;  // of the name that follows the struct, NUL included
};

void init_proc(void* area, uint64_t t, void*) {
  auto* p = static_cast<Proc*>(area);
  kt_face_claim(area, KT_FACE_PLAN9);
  p->pid = ulong(kt_thread_pid(t));
  p->errstr = p->errbuf0;
  p->kt = t;
}

Proc* need_up(const char* fn) {
  Proc* p = kt_plan9_up();
  if (!p || !p->errlab) kt_panic("%s: called outside a kproc", fn);
  return p;
}

// The kproc's entry: its NERR labels live in this frame, at the top of its
// stack, for as long as it lives (stack pages cost memory only once used).
void trampoline(void* s) {
  auto* start = static_cast<Start*>(s);
  Label labels[NERR];
  Proc* p = kt_plan9_up();
  p->text = reinterpret_cast<char*>(start + 1);
  p->errlab = labels;
  p->nerrlab = 0;
  start->func(start->arg);
  pexit(const_cast<char*>("kproc exiting"), 0);
}

// A full table: Plan 9 (9front) waits for a slot. The core has no "a thread
// exited" event to sleep on, so look again every millisecond; a kernel
// thread sleeps meanwhile, a host thread naps.
void wait_for_slot() {
  static int noprocs;  // nobody wakes it: the timeout ends the sleep
  if (kt_thread_self()) {
    kt_sleep(&noprocs, "noprocs", 0, 1000000);
  } else {
    timespec ts{0, 1000000};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace

extern "C" Proc* kt_plan9_up(void) { return static_cast<Proc*>(kt_face_self(KT_FACE_PLAN9)); }

extern "C" void kproc(char* name, void (*func)(void*), void* arg) {
  if (kt_boot_phase() < KT_BOOT_STARTING) kt_panic("kproc: called before kt_boot");
  if (!name || !func) kt_panic("kproc: nil %s", !name ? "name" : "func");
  // The name rides in the start block, so the stack must hold it: a name
  // that might take more than a quarter of the smallest stack gets a bigger one.
  const size_t len = strlen(name) + 1;
  const size_t need = sizeof(Start) + len;
  alignas(Start) unsigned char local[256];
  auto* start =
      static_cast<Start*>(need <= sizeof local ? static_cast<void*>(local) : malloc(need));
  if (!start) kt_panic("kproc: no memory for the name of %.32s...", name);
  *start = Start{func, arg, len};
  memcpy(start + 1, name, len);
  kt_thread_attr a{};
  a.name = name;
  a.pri = 130 - 2 * PriKproc;
  a.cpu = -1;
  a.flags = KT_MPSAFE;
  a.stack_nominal = KSTACK;
  if (need > KT_MIN_STACK / 4 - 1024) a.stack_size = KT_DEFAULT_STACK + 4 * need;
  a.data = start;
  a.data_len = need;
  a.init = init_proc;
  int rc;
  while ((rc = kt_thread_create(&a, trampoline, nullptr, nullptr)) == EAGAIN) wait_for_slot();
  if (static_cast<void*>(start) != local) free(start);
  if (rc != 0) kt_panic("kproc: cannot create %s: error %d", name, rc);
}

extern "C" void pexit(char* note, int freemem) {
  (void)note;  // kprocs leave no wait record
  Proc* p = kt_plan9_up();
  if (!p)
    kt_panic("pexit: called from %s, not a kproc",
             kt_thread_self() ? "a kernel thread" : "a host thread");
  // An NDebug note leaves the process Broken, kept for inspection, and is
  // printed, as Plan 9's notify does for a process that cannot handle it.
  char text[KT_ERRMAX];
  int flag;
  while (kt_note_take(text, &flag)) {
    if (flag != NDebug) continue;
    kt_printf("%s %lu: suicide: %s\n", p->text, p->pid, text);
    freemem = 0;
  }
  if (!freemem) kt_thread_break(0);
  kt_thread_exit(0);
}

// A nil Proc, one that has gone, and a Broken one get nothing (9front).
extern "C" int postnote(Proc* p, int dolock, char* n, int flag) {
  (void)dolock;
  uint64_t t;
  if (kt_face_handle(p, KT_FACE_PLAN9, &t) != 0 || kt_thread_state(t) == KT_BROKEN) return 0;
  const int rc = kt_note_post(t, n, flag);
  return rc < 0 ? 0 : rc;
}

// pushlabel() is called by the waserror() macro in the frame that holds the
// label: its own CFA is where that frame's callees begin, which is where
// error()'s unwinding stops (see unwind_to_label).
extern "C" [[gnu::noinline]] Label* kt_plan9_pushlabel(void) {
  Proc* p = need_up("waserror");
  if (p->nerrlab >= NERR)
    kt_panic("waserror: error stack overflow in pid %lu '%s' (NERR %d)", p->pid, p->text, NERR);
  Label* l = &p->errlab[p->nerrlab++];
  l->kt_cfa = reinterpret_cast<unsigned long>(__builtin_dwarf_cfa());
  return l;
}

extern "C" void kt_plan9_poplabel(void) {
  Proc* p = need_up("poperror");
  if (p->nerrlab <= 0) kt_panic("poperror: no waserror frame in pid %lu '%s'", p->pid, p->text);
  p->nerrlab--;
}

namespace {

// error() unwinds, as Plan 9's does, to the innermost waserror(); but where
// Plan 9 longjmps straight there, here the frames in between are unwound
// first (kt_unwind_to, the mechanism of kthread_exit), so a C++ frame between
// the waserror() and the error() has its destructors run, and C frames,
// which have none, are passed over as before; the label's longjmp does the
// rest. Without unwind tables it is the plain longjmp.
void land_on_label(void* l) { longjmp(static_cast<Label*>(l)->buf, 1); }

}  // namespace

extern "C" void nexterror(void) {
  Proc* p = need_up("nexterror");
  if (p->nerrlab <= 0)
    kt_panic("nexterror: no waserror frame in pid %lu '%s' (error: %s)", p->pid, p->text,
             p->errstr);
  Label* l = &p->errlab[--p->nerrlab];
  // The unwind lives in the Proc: it must outlive the frames it unwinds.
  static_assert(sizeof p->kt_unwind == KT_UNWIND_BUF, "the Proc holds an unwind");
  kt_unwind_to(p->kt_unwind, l->kt_cfa, land_on_label, l, "error()");
}

extern "C" void error(char* err) {
  Proc* p = need_up("error");
  snprintf(p->errbuf0, sizeof p->errbuf0, "%s", err ? err : "");
  p->errstr = p->errbuf0;
  nexterror();
}

extern "C" void sleep(Rendez* r, int (*f)(void*), void* arg) {
  need_up("sleep");
  if (kt_rendez_sleep(&r->kt, f, arg, 0, KT_SLEEP_INTR) == EINTR) error(Eintr);
}

extern "C" void tsleep(Rendez* r, int (*f)(void*), void* arg, ulong ms) {
  need_up("tsleep");
  // Whole milliseconds; 0 is the shortest sleep, not none (ms is unsigned).
  const uint64_t ns = uint64_t(ms ? ms : 1) * 1000000u;
  if (kt_rendez_sleep(&r->kt, f, arg, ns, KT_SLEEP_INTR) == EINTR) error(Eintr);
}

extern "C" Proc* wakeup(Rendez* r) {
  // Find the Proc before waking it: once woken it may run, pexit and free
  // its slot before we look (the area itself stays, type-stable).
  const uint64_t who = __atomic_load_n(&r->kt.sleeper, __ATOMIC_ACQUIRE);
  Proc* p = who ? static_cast<Proc*>(kt_face_area(who, KT_FACE_PLAN9)) : nullptr;
  const uint64_t woken = kt_rendez_wakeup(&r->kt);
  return woken && woken == who ? p : nullptr;
}

extern "C" int return0(void*) { return 0; }

extern "C" void qlock(QLock* q) { kt_qlock_enter(&q->kt); }
extern "C" int canqlock(QLock* q) { return kt_qlock_try(&q->kt); }
extern "C" void qunlock(QLock* q) { kt_qlock_exit(&q->kt); }
extern "C" void eqlock(QLock* q) {
  if (kt_eqlock_enter(&q->kt) == EINTR) error(Eintr);
}

extern "C" uintptr rendezvous(uintptr tag, uintptr value) { return kt_rendezvous(tag, value); }
