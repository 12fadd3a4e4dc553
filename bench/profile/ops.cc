// kt_ops OP N: runs one hot operation N times in a kernel of one vCPU, for
// bench/profile/run.sh, which runs it under callgrind for two values of N
// and takes the difference: the instructions and the locked instructions
// one operation executes, free of boot and shutdown, and free of the speed
// of the machine (which on a shared VM wanders by half).
//
//   spawn      create + run + exit + join of an empty joinable thread,
//              from a kernel thread (one operation)
//   pingpong   two threads alternating through the one-hold sleep
//              (kt_sleep_unless) and kt_wakeup: N round trips, 2N one-way
//              hand-offs (an operation is one hand-off)
//   twophase   the same through kt_sleep_setup / kt_sleep_finish
//   condvar    the same through one kt_mutex and a kt_cv per side
//   yield      two runnable threads taking turns with kt_thread_yield
//              (an operation is one switch)
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../court.h"
#include "kt/c/sleep.h"
#include "kt/c/sync.h"
#include "kt/c/thread.h"
#include "kt/kernel.h"

namespace {

long n;

kt_tid_t start(void (*f)(void*), void* arg) {
  kt_thread_attr a{};
  a.name = "op";
  a.pri = -1;
  a.cpu = 0;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  kt_tid_t t = 0;
  if (kt_thread_create(&a, f, arg, &t) != 0) abort();
  return t;
}

void join(kt_tid_t t) {
  if (kt_thread_join(t, nullptr) != 0) abort();
}

void empty(void*) {}

void spawn(void*) {
  for (long i = 0; i < n; i++) join(start(empty, nullptr));
}

ktbench::Court court;

void player1(void*) {
  for (long i = 0; i < n; i++) {
    court.await(1);
    court.pass(1);
  }
}

void player0(void*) {
  const kt_tid_t p1 = start(player1, nullptr);
  for (long i = 0; i < n; i++) {
    court.pass(0);
    court.await(0);
  }
  join(p1);
}

kt_mutex mu;
kt_cv cv[2];
int cv_turn;

int side[2] = {0, 1};

void cv_play(void* p) {
  const int me = *static_cast<int*>(p);
  kt_mutex_lock(&mu);
  for (long i = 0; i < n; i++) {
    while (cv_turn != me) kt_cv_wait(&cv[me], &mu, 0, 0);
    cv_turn = 1 - me;
    kt_cv_signal(&cv[1 - me]);
  }
  kt_mutex_unlock(&mu);
}

void condvar(void*) {
  kt_mutex_init(&mu, "ops");
  kt_cv_init(&cv[0], "cv0");
  kt_cv_init(&cv[1], "cv1");
  const kt_tid_t p1 = start(cv_play, &side[1]);
  cv_play(&side[0]);
  join(p1);
}

void yielder(void*) {
  for (long i = 0; i < n; i++) kt_thread_yield();
}

void yield(void*) {
  const kt_tid_t other = start(yielder, nullptr);
  yielder(nullptr);
  join(other);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (n = atol(argv[2])) <= 0) {
    fprintf(stderr, "usage: %s spawn|pingpong|twophase|condvar|yield N\n", argv[0]);
    return 2;
  }
  void (*body)(void*) = nullptr;
  const char* op = argv[1];
  if (!strcmp(op, "spawn")) body = spawn;
  if (!strcmp(op, "pingpong")) body = player0;
  if (!strcmp(op, "twophase")) {
    court.two_phase = true;
    body = player0;
  }
  if (!strcmp(op, "condvar")) body = condvar;
  if (!strcmp(op, "yield")) body = yield;
  if (!body) {
    fprintf(stderr, "%s: unknown operation '%s'\n", argv[0], op);
    return 2;
  }
  kt_config c{};
  c.ncpu = 1;
  if (kt_boot(&c) != 0) return 1;
  join(start(body, nullptr));
  kt_shutdown(0);
  return 0;
}
