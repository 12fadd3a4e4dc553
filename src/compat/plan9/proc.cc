// Plan 9 kproc(9), error(9), sleep(9), qlock(9) (seed 003; semantics.md 6)
// onto the core: notes, Rendez, QLocks and the Broken list live there; this
// file translates, and keeps the setjmp label stack that C code needs.
#include <sched.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>

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

struct Start {
  void (*func)(void*);
  void* arg;
};

void init_proc(void* area, uint64_t t, void* arg) {
  auto* p = static_cast<Proc*>(area);
  p->pid = ulong(kt_thread_pid(t));
  snprintf(p->text, sizeof p->text, "%s", static_cast<const char*>(arg));
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
  const Start start = *static_cast<Start*>(s);
  Label labels[NERR];
  Proc* p = kt_plan9_up();
  p->errlab = labels;
  p->nerrlab = 0;
  start.func(start.arg);
  pexit(const_cast<char*>("kproc exiting"), 0);
}

}  // namespace

extern "C" Proc* kt_plan9_up(void) { return static_cast<Proc*>(kt_face_self()); }

extern "C" void kproc(char* name, void (*func)(void*), void* arg) {
  if (!name || !func) kt_panic("kproc: nil %s", !name ? "name" : "func");
  Start start{func, arg};
  kt_thread_attr a{};
  a.name = name;
  a.pri = 130 - 2 * PriKproc;
  a.cpu = -1;
  a.flags = KT_MPSAFE;
  a.data = &start;
  a.data_len = sizeof start;
  a.init = init_proc;
  a.init_arg = name;
  // Plan 9 waits for a free slot rather than fail; the core says EAGAIN at
  // maxproc, so wait and retry.
  for (;;) {
    const int rc = kt_thread_create(&a, trampoline, nullptr, nullptr);
    if (rc == 0) return;
    if (rc != EAGAIN) kt_panic("kproc: cannot create %s: error %d", name, rc);
    static int noprocs;
    if (kt_thread_self())
      kt_sleep(&noprocs, "noprocs", 0, 1000000);
    else
      sched_yield();
  }
}

extern "C" void pexit(char* note, int freemem) {
  (void)note;  // kprocs leave no wait record
  Proc* p = kt_plan9_up();
  if (!p) kt_panic("pexit: called from a host thread, not a kproc");
  // An NDebug note leaves the process Broken, kept for inspection.
  char text[KT_ERRMAX];
  int flag;
  while (kt_note_take(text, &flag))
    if (flag == NDebug) freemem = 0;
  if (!freemem) kt_thread_break(0);
  kt_thread_exit(0);
}

extern "C" int postnote(Proc* p, int dolock, char* n, int flag) {
  (void)dolock;
  if (!p || !kt_face_valid(p)) return 0;
  const int rc = kt_note_post(p->kt, n, flag);
  return rc < 0 ? 0 : rc;
}

extern "C" Label* kt_plan9_pushlabel(void) {
  Proc* p = need_up("waserror");
  if (p->nerrlab >= NERR)
    kt_panic("waserror: error stack overflow in pid %lu '%s' (NERR %d)", p->pid, p->text, NERR);
  return &p->errlab[p->nerrlab++];
}

extern "C" void kt_plan9_poplabel(void) {
  Proc* p = need_up("poperror");
  if (p->nerrlab <= 0) kt_panic("poperror: no waserror frame in pid %lu '%s'", p->pid, p->text);
  p->nerrlab--;
}

extern "C" void nexterror(void) {
  Proc* p = need_up("nexterror");
  if (p->nerrlab <= 0)
    kt_panic("nexterror: no waserror frame in pid %lu '%s' (error: %s)", p->pid, p->text,
             p->errstr);
  longjmp(p->errlab[--p->nerrlab].buf, 1);
}

extern "C" void error(char* err) {
  Proc* p = need_up("error");
  snprintf(p->errstr, sizeof p->errstr, "%s", err ? err : "");
  nexterror();
}

extern "C" void sleep(Rendez* r, int (*f)(void*), void* arg) {
  need_up("sleep");
  if (kt_rendez_sleep(&r->kt, f, arg, 0, KT_SLEEP_INTR) == EINTR) error(Eintr);
}

extern "C" void tsleep(Rendez* r, int (*f)(void*), void* arg, ulong ms) {
  need_up("tsleep");
  const uint64_t ns = uint64_t(ms ? ms : 1) * 1000000u;
  if (kt_rendez_sleep(&r->kt, f, arg, ns, KT_SLEEP_INTR) == EINTR) error(Eintr);
}

extern "C" Proc* wakeup(Rendez* r) {
  // Find the Proc before waking it: once woken it may run, pexit and free
  // its slot before we look (the area itself stays, type-stable).
  const uint64_t who = __atomic_load_n(&r->kt.sleeper, __ATOMIC_ACQUIRE);
  Proc* p = who ? static_cast<Proc*>(kt_face_area(who)) : nullptr;
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
