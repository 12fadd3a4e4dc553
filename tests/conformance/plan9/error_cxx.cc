// Plan 9 error(9) as C++ callers meet it (semantics.md 11): error() returns
// to the innermost waserror() having unwound the frames in between, so C++
// destructors there run; a catch (...) must rethrow; one that swallows the
// unwind is fatal. Built as C++ against the Plan 9 face's headers.
#include <u.h>
// (u.h first, as Plan 9 code has it)
#include <kt/c/thread.h>
#include <portdat.h>
#include <portfns.h>

#include <cstring>

#include "ktc.h"

namespace {

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

int stage;
int destroyed;
char seen[ERRMAX];
Proc* me;

int at_least_one(void*) { return LOAD(stage) >= 1; }

// A C++ object whose destructor the unwinding must run.
struct Witness {
  ~Witness() { __atomic_add_fetch(&destroyed, 1, __ATOMIC_RELEASE); }
};

[[gnu::noinline]] void raise_below(int depth) {
  Witness w;
  if (depth == 0) error(const_cast<char*>("boom"));
  raise_below(depth - 1);
}

void raises_through_cxx_frames(void*) {
  me = up;
  if (waserror()) {
    strncpy(seen, up->errstr, sizeof seen - 1);
    STORE(stage, 1);
    pexit(const_cast<char*>(""), 1);
  }
  raise_below(3);
  poperror();
  pexit(const_cast<char*>(""), 1);
}

// "error(9): it unwinds to the most recent waserror()": C++ frames on the way
// have their destructors run first.
void error_runs_the_destructors_between(void) {
  STORE(stage, 0);
  STORE(destroyed, 0);
  seen[0] = '\0';
  kproc(const_cast<char*>("cxxerr"), raises_through_cxx_frames, nil);
  KTC_CHECK(ktc_wait(at_least_one, nil));
  KTC_CHECK_EQ(LOAD(destroyed), 4);
  KTC_CHECK(strcmp(seen, "boom") == 0);
}

Rendez never;
int asleep;
[[gnu::noinline]] void sleeps_in_a_cxx_frame() {
  Witness w;
  STORE(asleep, 1);
  sleep(&never, return0, nil);  // a note makes it raise error("interrupted")
}

void interrupted_in_cxx(void*) {
  me = up;
  if (waserror()) {
    strncpy(seen, up->errstr, sizeof seen - 1);
    STORE(stage, 1);
    pexit(const_cast<char*>(""), 1);
  }
  sleeps_in_a_cxx_frame();
  poperror();
  pexit(const_cast<char*>(""), 1);
}

int is_asleep(void*) { return LOAD(asleep) && kt_thread_state(me->kt) == KT_SLEEPING; }

// "a note interrupts sleep with the error 'interrupted'": from a C++ frame,
// whose destructor runs on the way to waserror.
void note_in_a_cxx_sleep_unwinds_it(void) {
  STORE(stage, 0);
  STORE(destroyed, 0);
  STORE(asleep, 0);
  seen[0] = '\0';
  kproc(const_cast<char*>("cxxsleep"), interrupted_in_cxx, nil);
  KTC_CHECK(ktc_wait(is_asleep, nil));
  KTC_CHECK_EQ(postnote(me, 1, const_cast<char*>("stop"), NUser), 1);
  KTC_CHECK(ktc_wait(at_least_one, nil));
  KTC_CHECK_EQ(LOAD(destroyed), 1);
  KTC_CHECK(strcmp(seen, "interrupted") == 0);
}

[[gnu::noinline]] void catches_and_rethrows() {
  try {
    Witness w;
    error(const_cast<char*>("again"));
  } catch (...) {
    __atomic_add_fetch(&destroyed, 10, __ATOMIC_RELEASE);
    throw;
  }
}

void rethrows(void*) {
  if (waserror()) {
    strncpy(seen, up->errstr, sizeof seen - 1);
    STORE(stage, 1);
    pexit(const_cast<char*>(""), 1);
  }
  catches_and_rethrows();  // C++ frames go below the waserror() frame
  poperror();
}

// A catch (...) on the way sees the unwind and passes it on by rethrowing.
void a_rethrowing_catch_all_lets_the_error_through(void) {
  STORE(stage, 0);
  STORE(destroyed, 0);
  seen[0] = '\0';
  kproc(const_cast<char*>("rethrow"), rethrows, nil);
  KTC_CHECK(ktc_wait(at_least_one, nil));
  KTC_CHECK_EQ(LOAD(destroyed), 11);
  KTC_CHECK(strcmp(seen, "again") == 0);
}

[[gnu::noinline]] void catches_and_swallows() {
  try {
    error(const_cast<char*>("lost"));
  } catch (...) {
  }
}

void swallows(void*) {
  if (waserror()) pexit(const_cast<char*>(""), 1);
  catches_and_swallows();
  poperror();
  pexit(const_cast<char*>(""), 1);
}

// A catch (...) that swallows it would let the function go on past an
// error(): fatal.
void a_swallowing_catch_all_is_fatal(void) {
  STORE(stage, 0);
  kproc(const_cast<char*>("swallow"), swallows, nil);
  KTC_CHECK(ktc_wait(at_least_one, nil));  // never: the kproc panics
}

const struct ktc_case cases[] = {
    {"error unwinds to waserror, running the destructors of the C++ frames between",
     error_runs_the_destructors_between},
    {"a note interrupts a sleep in a C++ frame: 'interrupted', its destructors run",
     note_in_a_cxx_sleep_unwinds_it},
    {"a catch (...) that rethrows lets the error reach waserror",
     a_rethrowing_catch_all_lets_the_error_through},
    {"a catch (...) that swallows error's unwind is fatal", a_swallowing_catch_all_is_fatal,
     "was caught and not rethrown"},
};

}  // namespace

KTC_MAIN("Plan 9 error(9) from C++", cases)
