// Plan 9 error(9) meeting C++: the rule of compat/plan9/portfns.h.
//
// error() and nexterror() unwind as C++ forced unwinding does, then
// longjmp into the waserror() frame: C++ frames in between run their
// destructors, catch (...) sees the unwind and must rethrow it, typed
// catches never see it. C++ exceptions are not Plan 9 errors: waserror()
// never catches one.
#include <cstring>
#include <kt/error.hpp>
#include <kt/sleep.hpp>
#include <stdexcept>
#include <string>

#include "ktc.h"

// The face last: it defines up, and declares Plan 9's sleep and error.
#include <kt/c/face.h>
#include <kt/c/thread.h>
#include <portdat.h>
#include <portfns.h>
#include <u.h>

namespace {

std::string trail;
void mark(const std::string& s) { trail += s; }

// Tracer marks its destruction.
struct Tracer {
  explicit Tracer(const char* n) : name(n) {}
  ~Tracer() { mark(std::string("~") + name + ";"); }
  const char* name;
};

int done;
void (*body_fn)(void*);
void body(void* arg) {
  body_fn(arg);
  __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
  pexit(const_cast<char*>(""), 1);
}
int is_done(void*) { return __atomic_load_n(&done, __ATOMIC_ACQUIRE); }
// in_kproc() runs fn(arg) in a kproc and waits until it is done.
void in_kproc(void (*fn)(void*), void* arg = nullptr) {
  trail.clear();
  __atomic_store_n(&done, 0, __ATOMIC_RELEASE);
  body_fn = fn;
  kproc(const_cast<char*>("cxx"), body, arg);
  KTC_CHECK(ktc_wait(is_done, nullptr));
}

// A C-style layer: no objects, as Plan 9 code would be.
void c_raise(const char* msg) { error(const_cast<char*>(msg)); }

// C++ frames with destructors between the error() and its waserror().
void cxx_inner() {
  Tracer t("inner");
  c_raise("boom");
}
void cxx_outer() {
  Tracer t("outer");
  cxx_inner();
}
void destructors_run(void*) {
  if (waserror()) {
    mark("handler:" + std::string(up->errstr));
    return;
  }
  cxx_outer();
  poperror();
}
void destructors_of_crossed_frames_run() {
  in_kproc(destructors_run);
  KTC_CHECK(trail == "~inner;~outer;handler:boom");
}

// Only the frames below the waserror() are unwound: an object of a C++
// frame above it lives on.
void c_middle() {
  if (waserror()) {
    mark("middle;");
    return;  // handled here
  }
  cxx_inner();
  poperror();
}
void keeps_outer(void*) {
  Tracer t("above");
  c_middle();
  mark("after;");
}
void frames_above_the_label_are_untouched() {
  in_kproc(keeps_outer);
  KTC_CHECK(trail == "~inner;middle;after;~above;");
}

// The realistic case: a C++ guard holding a qlock while Plan 9's sleep is
// interrupted by a note; the guard's destructor releases it.
QLock lk;
Rendez rz;
Proc* sleeper;
struct QGuard {
  explicit QGuard(QLock* q) : q_(q) { qlock(q_); }
  ~QGuard() { qunlock(q_); }
  QLock* q_;
};
void waits_guarded() {
  QGuard g(&lk);
  sleep(&rz, return0, nil);
}
int lock_free_after = -1;
void guarded_sleeper(void*) {
  if (waserror()) {
    lock_free_after = canqlock(&lk);
    if (lock_free_after) qunlock(&lk);
    mark(up->errstr);
    return;
  }
  __atomic_store_n(&sleeper, up, __ATOMIC_RELEASE);
  waits_guarded();
  poperror();
}
void posts_when_asleep(void*) {
  Proc* p;
  while (!(p = __atomic_load_n(&sleeper, __ATOMIC_ACQUIRE)) ||
         kt_thread_state(kt_face_owner(p)) != KT_SLEEPING)
    kt_thread_yield();
  postnote(p, 1, const_cast<char*>("stop"), NUser);
}
void interrupted_sleep_runs_the_guards() {
  memset(&lk, 0, sizeof lk);
  memset(&rz, 0, sizeof rz);
  sleeper = nullptr;
  kproc(const_cast<char*>("poster"), posts_when_asleep, nullptr);
  in_kproc(guarded_sleeper);
  KTC_CHECK_EQ(lock_free_after, 1);
  KTC_CHECK(trail == "interrupted");
}

// catch (...) sees the unwind; rethrowing it carries on to the waserror().
void rethrows() {
  try {
    Tracer t("try");
    c_raise("seen");
  } catch (...) {
    mark("catch(...);");
    throw;
  }
}
void catch_all_rethrows(void*) {
  if (waserror()) {
    mark("handler:" + std::string(up->errstr));
    return;
  }
  rethrows();
  poperror();
}
void catch_all_sees_it_and_rethrows() {
  in_kproc(catch_all_rethrows);
  KTC_CHECK(trail == "~try;catch(...);handler:seen");
}

// Typed catches never see it.
void typed_catches() {
  try {
    c_raise("untyped");
  } catch (const kt::Interrupted&) {
    mark("kt::Interrupted;");
  } catch (const std::exception&) {
    mark("std::exception;");
  }
}
void typed(void*) {
  if (waserror()) {
    mark("handler");
    return;
  }
  typed_catches();
  poperror();
}
void typed_catches_never_see_it() {
  in_kproc(typed);
  KTC_CHECK(trail == "handler");
}

// C++ code turns the native API's kt::Interrupted into error(Eintr) in its
// catch block; its destructors run on the way.
Proc* native_sleeper;
void native_wait() {
  Tracer t("native");
  int chan;
  try {
    __atomic_store_n(&native_sleeper, up, __ATOMIC_RELEASE);
    kt::sleep(&chan, "native", std::chrono::nanoseconds::zero(), kt::Interruptible::kYes);
  } catch (const kt::Interrupted& e) {
    mark("caught " + e.note() + ";");
    error(Eintr);
  }
}
void converts(void*) {
  if (waserror()) {
    mark(up->errstr);
    return;
  }
  native_wait();
  poperror();
}
void posts_to_native(void*) {
  Proc* p;
  while (!(p = __atomic_load_n(&native_sleeper, __ATOMIC_ACQUIRE)) ||
         kt_thread_state(kt_face_owner(p)) != KT_SLEEPING)
    kt_thread_yield();
  postnote(p, 1, const_cast<char*>("unbind"), NUser);
}
void interrupted_converts_to_error() {
  native_sleeper = nullptr;
  kproc(const_cast<char*>("poster"), posts_to_native, nullptr);
  in_kproc(converts);
  KTC_CHECK(trail == "caught unbind;~native;interrupted");
}

// Misuse.
void swallows(void*) {
  if (waserror()) return;
  try {
    c_raise("lost");
  } catch (...) {
    // does not rethrow
  }
  poperror();
}
void swallowing_catch_all_panics() { in_kproc(swallows); }

void throws_past_waserror(void*) {
  if (waserror()) {
    mark("never");
    return;
  }
  throw kt::Interrupted("stop");
}
void cxx_exception_reaching_the_kproc_panics() { in_kproc(throws_past_waserror); }

void leaks_a_label() {
  if (waserror()) return;
  throw std::runtime_error("crosses the label");
}
void crosses(void*) {
  if (waserror()) pexit(const_cast<char*>(""), 1);
  try {
    leaks_a_label();
  } catch (const std::exception&) {
  }
  c_raise("to a dead frame");
}
void cxx_exception_across_a_label_panics() { in_kproc(crosses); }

struct RaisesInDestructor {
  ~RaisesInDestructor() { c_raise("again"); }
};
void raises_twice() {
  RaisesInDestructor r;
  c_raise("first");
}
void raises_in_destructor(void*) {
  if (waserror()) return;
  raises_twice();
  poperror();
}
void error_from_a_destructor_panics() { in_kproc(raises_in_destructor); }

void noexcept_frame() noexcept { c_raise("no way out"); }
void through_noexcept(void*) {
  if (waserror()) return;
  noexcept_frame();
  poperror();
}
void noexcept_frame_terminates() { in_kproc(through_noexcept); }

const ktc_case cases[] = {
    {"error() runs the destructors of the C++ frames it crosses, innermost first",
     destructors_of_crossed_frames_run},
    {"frames above the waserror() are not unwound", frames_above_the_label_are_untouched},
    {"a note interrupting sleep unwinds a C++ guard: its qlock is released",
     interrupted_sleep_runs_the_guards},
    {"catch (...) sees the unwind and rethrows it to the waserror()",
     catch_all_sees_it_and_rethrows},
    {"typed catch clauses never see error()", typed_catches_never_see_it},
    {"C++ code turns kt::Interrupted into error(Eintr) in its catch block",
     interrupted_converts_to_error},
    {"a catch (...) that swallows error() is fatal", swallowing_catch_all_panics,
     "was swallowed by a C++ catch (...)"},
    {"waserror() does not catch C++ exceptions: one reaching the kproc is fatal",
     cxx_exception_reaching_the_kproc_panics,
     "C++ exception 'stop' reached Plan 9 code: waserror() does not catch it"},
    {"a C++ exception that crossed a waserror() leaves a dead label: fatal at the next error",
     cxx_exception_across_a_label_panics, "has gone"},
    {"error() raised by a destructor while error() unwinds is fatal",
     error_from_a_destructor_panics, "raised while an error unwinds"},
    {"error() through a noexcept C++ frame terminates, as an exception would",
     noexcept_frame_terminates, "terminate called"},
};

}  // namespace

KTC_MAIN("Plan 9 error(9) and C++", cases)
