// Plan 9 sleep(9): sleep, tsleep, wakeup, return0 (semantics.md 6.4) on the
// core's Rendez, which publishes the sleeper before testing the condition
// (no lost wakeup, R4) and lets a pending note win over a true condition
// (R7, R9). An interrupted sleep raises error(Eintr).
#include "kt/c/sleep.h"

#include <cerrno>

#include "kt/c/face.h"
#include "kt/c/rendez.h"
#include "plan9.h"

// sleep() returns once f(arg) is true, after a wakeup if it was false.
// Must be called by a kproc; raises "interrupted" when a note is pending or
// arrives.
extern "C" void sleep(Rendez* r, int (*f)(void*), void* arg) {
  plan9::need_up("sleep");
  if (kt_rendez_sleep(&r->kt, f, arg, 0, KT_SLEEP_INTR) == EINTR) error(Eintr);
}

// tsleep() is sleep that also ends after ms milliseconds, saying nothing
// of which it was. ms 0 times out at once, as a 9front timer of 0 ns does.
extern "C" void tsleep(Rendez* r, int (*f)(void*), void* arg, ulong ms) {
  plan9::need_up("tsleep");
  const uint64_t ns = ms ? uint64_t(ms) * 1000000u : 1;
  if (kt_rendez_sleep(&r->kt, f, arg, ns, KT_SLEEP_INTR) == EINTR) error(Eintr);
}

// wakeup() wakes r's sleeper, if any, and returns it (nil if none). Never
// sleeps; from any thread.
extern "C" Proc* wakeup(Rendez* r) {
  // Find the sleeper's Proc before waking it: once awake it may exit at
  // once, and its handle then gives no area; the area itself stays
  // readable, like a Plan 9 Proc slot.
  const uint64_t s = __atomic_load_n(&r->kt.sleeper, __ATOMIC_ACQUIRE);
  void* area = s ? kt_face_area(s) : nullptr;
  const uint64_t t = kt_rendez_wakeup(&r->kt);
  if (!t) return nullptr;
  if (t != s || !area) area = kt_face_area(t);
  return plan9::proc_at(area);
}

extern "C" int return0(void*) { return 0; }
