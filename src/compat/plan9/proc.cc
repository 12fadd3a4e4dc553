// Plan 9 kproc(9): kproc, pexit, postnote and up (seed 003, 9front; see
// semantics.md 6.1-6.3). Notes, Broken threads and the waiting for a free
// slot are the core's; this file translates.
#include <cerrno>
#include <cstring>
#include <ctime>

#include "kt/c/control.h"
#include "kt/c/face.h"
#include "kt/c/sleep.h"
#include "kt/c/thread.h"
#include "plan9.h"

static_assert(sizeof(Proc) <= KT_FACE_AREA, "Proc fits the face area");
static_assert(NNOTE == KT_NNOTE && ERRMAX == KT_ERRMAX, "the core's note queue is Plan 9's");
static_assert(plan9::core_priority(PriKproc) == KT_PRI_KERNEL, "PriKproc is the kernel default");
static_assert(plan9::core_priority(0) <= 127 && plan9::core_priority(19) >= 64,
              "Plan 9 priorities stay in the kernel band");

namespace {

struct Start {
  void (*func)(void*);
  void* arg;
};

// Fills the Proc before the kproc can run: pid, text, and the mark that
// makes it a Proc.
void init_proc(void* area, uint64_t t, void* name) {
  auto* p = static_cast<Proc*>(area);
  p->pid = ulong(kt_thread_pid(t));
  strncpy(p->text, static_cast<const char*>(name), KNAMELEN - 1);
  p->text[KNAMELEN - 1] = '\0';
  p->kt_magic = plan9::kMagic;
}

void entry(void* s) {
  const Start start = *static_cast<Start*>(s);
  plan9::run_with_labels(kt_plan9_up(), start.func, start.arg);
}

// A kproc whose func returns: 9front's linkproc calls pexit("kproc exiting", 0).
void returned() { pexit(const_cast<char*>("kproc exiting"), 0); }

// Waits a millisecond for a process slot to free up.
void wait_for_slot() {
  static int noprocs;
  if (kt_thread_self()) {
    kt_sleep(&noprocs, "noprocs", 0, 1000000);
  } else {
    const timespec ms = {0, 1000000};
    nanosleep(&ms, nullptr);
  }
}

}  // namespace

Proc* plan9::need_up(const char* fn) {
  Proc* p = kt_plan9_up();
  if (!p || !p->errlab) kt_panic("%s: called outside a kproc", fn);
  return p;
}

extern "C" Proc* kt_plan9_up(void) { return plan9::proc_at(kt_face_self()); }

// kproc() starts func(arg) in a new kernel process named name, at PriKproc.
// Like 9front it never fails: at maxproc it waits until a slot frees.
extern "C" void kproc(char* name, void (*func)(void*), void* arg) {
  if (!name || !func) kt_panic("kproc: nil %s", !name ? "name" : "func");
  Start start{func, arg};
  kt_thread_attr a{};
  a.name = name;
  a.pri = plan9::core_priority(PriKproc);
  a.cpu = -1;
  a.flags = KT_MPSAFE;
  a.data = &start;  // copied to the new stack
  a.data_len = sizeof start;
  a.on_return = returned;
  a.init = init_proc;
  a.init_arg = name;
  for (;;) {
    const int rc = kt_thread_create(&a, entry, nullptr, nullptr);
    if (rc == 0) return;
    if (rc != EAGAIN) kt_panic("kproc: cannot create '%s': error %d", name, rc);
    wait_for_slot();
  }
}

// pexit() ends the calling kproc: Broken when freemem is 0 or an NDebug
// note is queued, otherwise for good. note is ignored: kprocs leave no
// wait record.
extern "C" void pexit(char* note, int freemem) {
  (void)note;
  Proc* p = kt_plan9_up();
  if (!p) kt_panic("pexit: called outside a kproc");
  char text[KT_ERRMAX];
  int flag;
  while (kt_note_take(text, &flag)) {
    if (flag != NDebug) continue;
    // What Plan 9 prints for a process that dies of an NDebug note.
    kt_printf("%s %lu: suicide: %s\n", p->text, p->pid, text);
    freemem = 0;
  }
  if (!freemem) kt_thread_break(0);
  kt_thread_exit(0);
}

// postnote() queues note n for p and interrupts it (see portfns.h).
extern "C" int postnote(Proc* p, int dolock, char* n, int flag) {
  (void)dolock;  // no debugger to synchronise with
  const uint64_t t = p ? kt_face_owner(p) : 0;
  if (!t || p->kt_magic != plan9::kMagic) return 0;  // gone, or not a kproc
  const int state = kt_thread_state(t);
  if (state < 0 || state == KT_BROKEN || state == KT_ZOMBIE) return 0;
  const int rc = kt_note_post(t, n, flag);
  return rc < 0 ? 0 : rc;
}
