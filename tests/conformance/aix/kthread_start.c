/*
 * AIX kthread_start (seed 004), with thread_create, thread_terminate,
 * thread_self and kthread_kill, and the decisions of semantics.md 7 and 9.
 */
#include <kt/c/sleep.h>
#include <kt/c/thread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/thread.h>

#include "ktc.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

struct block {
  int value;
  char text[20];
};

static int ran;
static struct block seen;
static void* seen_at;
static uintptr_t local_at;
static tid_t self_seen;

static int entry(void* data) {
  int local = 0;
  seen_at = data;
  memcpy(&seen, data, sizeof seen);
  local_at = (uintptr_t)&local;
  self_seen = thread_self();
  STORE(ran, 1);
  return 42; /* discarded */
}
static int has_run(void* p) {
  (void)p;
  return LOAD(ran);
}
static int gone(void* p) { return thread_getstate(*(tid_t*)p) == TSNONE; }

static void created_idle_then_started(void) {
  tid_t t = thread_create();
  KTC_CHECK(t != -1);
  KTC_CHECK_EQ(thread_getstate(t), TSIDL);
  STORE(ran, 0);
  for (int i = 0; i < 200; i++) sched_yield();
  KTC_CHECK_EQ(LOAD(ran), 0); /* not started: it does not run */
  struct block b = {7, "payload"};
  KTC_CHECK_EQ(kthread_start(t, entry, &b, sizeof b, NULL, NULL), 0);
  b.value = 0; /* the thread has its own copy */
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK_EQ(seen.value, 7);
  KTC_CHECK(strcmp(seen.text, "payload") == 0);
  KTC_CHECK(seen_at != (void*)&b);
  KTC_CHECK_EQ(self_seen, t);
  /* "automatically terminated when it returns from the entry point" */
  KTC_CHECK(ktc_wait(gone, &t));
}

static void data_is_copied_to_the_base_of_a_callers_stack(void) {
  const size_t len = 128 * 1024;
  char* mem = (char*)malloc(len);
  char* top = mem + len;
  tid_t t = thread_create();
  struct block b = {9, "on my stack"};
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_start_stack(t, len), 0);
  KTC_CHECK_EQ(kthread_start(t, entry, &b, sizeof b, top, NULL), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK(ktc_wait(gone, &t));
  KTC_CHECK(local_at >= (uintptr_t)mem && local_at < (uintptr_t)top);
  /* the copy sits at the top (base) of the stack, above every frame */
  KTC_CHECK((uintptr_t)seen_at > local_at && (uintptr_t)seen_at + sizeof b <= (uintptr_t)top);
  KTC_CHECK((uintptr_t)top - (uintptr_t)seen_at < 256);
  KTC_CHECK_EQ(seen.value, 9);
  free(mem);
}

static int deep(int n) {
  volatile char pad[1024];
  pad[0] = (char)n;
  return n == 0 ? pad[0] : deep(n - 1) + pad[0];
}
static int uses_80k(void* data) {
  (void)data;
  deep(80);
  STORE(ran, 1);
  return 0;
}
static void kernel_stack_is_96k(void) {
  tid_t t = thread_create();
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_start(t, uses_80k, NULL, 0, NULL, NULL), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

static void bad_input(void) {
  tid_t t = thread_create();
  char small[1024];
  KTC_CHECK_EQ(kthread_start(t, NULL, NULL, 0, NULL, NULL), EINVAL);
  KTC_CHECK_EQ(kthread_start(t, entry, NULL, 0, small + sizeof small, NULL), EINVAL); /* no size */
  KTC_CHECK_EQ(kthread_start_stack(t, sizeof small), 0);
  KTC_CHECK_EQ(kthread_start(t, entry, NULL, 0, small + sizeof small, NULL),
               EINVAL); /* too small */
  /* More than a quarter of the 96K stack: EINVAL in every build (the
   * sanitizers' larger mappings do not move the limit). */
  char* big = (char*)calloc(1, KTHREAD_DEFAULT_STACK);
  KTC_CHECK_EQ(kthread_start(t, entry, big, KTHREAD_DEFAULT_STACK / 4 - 15, NULL, NULL), EINVAL);
  free(big);
  KTC_CHECK_EQ(thread_getstate(t), TSIDL); /* unchanged by the failures */
  STORE(ran, 0);
  struct block b = {1, "ok"};
  KTC_CHECK_EQ(kthread_start(t, entry, &b, sizeof b, NULL, NULL), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
}

static int waits(void* data) {
  (void)data;
  int chan;
  while (!LOAD(ran)) kt_sleep(&chan, "wait", 0, 1000000);
  return 0;
}
static void esrch_for_a_tid_not_in_tsidl(void) {
  tid_t t = thread_create();
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_start(t, waits, NULL, 0, NULL, NULL), 0);
  KTC_CHECK_EQ(kthread_start(t, entry, NULL, 0, NULL, NULL), ESRCH); /* running */
  KTC_CHECK(thread_getstate(t) == TSRUN || thread_getstate(t) == TSSLEEP);
  STORE(ran, 1);
  KTC_CHECK(ktc_wait(gone, &t));
  KTC_CHECK_EQ(kthread_start(t, entry, NULL, 0, NULL, NULL), ESRCH); /* gone */
  KTC_CHECK_EQ(kthread_start(-1, entry, NULL, 0, NULL, NULL), ESRCH);
  KTC_CHECK_EQ(kthread_start(12345, entry, NULL, 0, NULL, NULL), ESRCH);
  KTC_CHECK_EQ(kthread_start((tid_t)kt_thread_self(), entry, NULL, 0, NULL, NULL), ESRCH);
}

static int sig_rc[2];
static int sleeps_twice(void* data) {
  int chan;
  (void)data;
  STORE(ran, 1);
  sig_rc[0] = kt_sleep(&chan, "masked", KT_SLEEP_INTR, 30000000); /* SIGUSR1 blocked */
  STORE(ran, 2);
  sig_rc[1] = kt_sleep(&chan, "open", KT_SLEEP_INTR, 0); /* SIGUSR2 ends it */
  STORE(ran, 3);
  return 0;
}
static int at_stage(void* p) { return LOAD(ran) == *(int*)p; }
static int asleep(void* p) { return thread_getstate(*(tid_t*)p) == TSSLEEP; }
static void sigmask_blocks_delivery(void) {
  static int two = 2, three = 3;
  sigset_t set;
  tid_t t = thread_create();
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_start(t, sleeps_twice, NULL, 0, NULL, &set), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  kthread_kill(t, SIGUSR1); /* blocked: the 30 ms sleep runs out */
  KTC_CHECK(ktc_wait(at_stage, &two));
  KTC_CHECK_EQ(sig_rc[0], EWOULDBLOCK);
  KTC_CHECK(ktc_wait(asleep, &t));
  kthread_kill(t, SIGUSR2); /* not blocked: ends the sleep */
  KTC_CHECK(ktc_wait(at_stage, &three));
  KTC_CHECK_EQ(sig_rc[1], EINTR);
}

/* A quarter of the stack, less the alignment, is the most data there is. */
static size_t copied_len;
static int sums(void* data) {
  const unsigned char* d = (const unsigned char*)data;
  size_t n = 0;
  for (size_t i = 0; i < KTHREAD_DEFAULT_STACK / 4 - 16; i++) n += d[i] == 0xa5;
  copied_len = n;
  STORE(ran, 1);
  return 0;
}
static void largest_data_block_is_a_quarter_of_the_stack(void) {
  const size_t most = KTHREAD_DEFAULT_STACK / 4 - 16;
  unsigned char* big = (unsigned char*)malloc(most);
  tid_t t = thread_create();
  memset(big, 0xa5, most);
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_start(t, sums, big, most, NULL, NULL), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK_EQ(copied_len, most);
  free(big);
}

/* semantics.md 7.1: "signals sent to it while TSIDL are kept pending", and
 * i_sigmask decides once it starts: a blocked one stays pending, an
 * unblocked one ends its first interruptible sleep. */
static int idle_rc[2] = {-1, -1};
static int sleeps_at_once(void* data) {
  int chan;
  idle_rc[*(int*)data] = kt_sleep(&chan, "first", KT_SLEEP_INTR, 30000000);
  STORE(ran, 1);
  return 0;
}
static void signals_sent_while_tsidl_are_kept_pending(void) {
  sigset_t set;
  int which;
  tid_t t = thread_create();
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  kthread_kill(t, SIGUSR1); /* blocked by i_sigmask below */
  KTC_CHECK_EQ(thread_getstate(t), TSIDL);
  STORE(ran, 0);
  which = 0;
  KTC_CHECK_EQ(kthread_start(t, sleeps_at_once, &which, sizeof which, NULL, &set), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK_EQ(idle_rc[0], EWOULDBLOCK); /* not interrupted by the blocked signal */
  t = thread_create();
  kthread_kill(t, SIGUSR2); /* not blocked */
  STORE(ran, 0);
  which = 1;
  KTC_CHECK_EQ(kthread_start(t, sleeps_at_once, &which, sizeof which, NULL, &set), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK_EQ(idle_rc[1], EINTR);
}

static void thread_create_before_boot_panics(void) {
  ktc_shutdown();
  thread_create();
}

static int terminates(void* data) {
  (void)data;
  STORE(ran, 1);
  thread_terminate();
}
static void thread_terminate_ends_the_thread(void) {
  tid_t t = thread_create();
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_start(t, terminates, NULL, 0, NULL, NULL), 0);
  KTC_CHECK(ktc_wait(has_run, NULL));
  KTC_CHECK(ktc_wait(gone, &t));
}

static void terminate_from_host_panics(void) { thread_terminate(); }

static void thread_create_limit_is_eagain(void) {
  ktc_reboot(2, 3);
  KTC_CHECK(thread_create() != -1);
  KTC_CHECK(thread_create() != -1);
  KTC_CHECK(thread_create() != -1);
  KTC_CHECK_EQ(thread_create(), -1);
  KTC_CHECK_EQ(getuerror(), EAGAIN);
}

static void thread_self_on_a_host_thread(void) { KTC_CHECK_EQ(thread_self(), -1); }

/* semantics.md 10.13 and 10.3: no priority and no name to give; the kernel
 * default and one name for all. */
static void priority_and_name_are_the_kernels(void) {
  char name[32];
  tid_t t = thread_create();
  KTC_CHECK(t != -1);
  KTC_CHECK_EQ(kt_thread_priority((uint64_t)t), KT_PRI_KERNEL);
  KTC_CHECK_EQ(kt_thread_name((uint64_t)t, name, sizeof name), 0);
  KTC_CHECK(strcmp(name, "kthread") == 0);
  struct block b = {1, "name"};
  STORE(ran, 0);
  KTC_CHECK_EQ(kthread_start(t, entry, &b, sizeof b, NULL, NULL), 0);
  KTC_CHECK(ktc_wait(gone, &t));
}

/* kthread_kill returns nothing: a tid of a thread that has gone is fatal
 * (semantics.md 9, void functions), never a signal lost without a word. */
static void kill_of_a_gone_thread_panics(void) {
  struct block b = {2, "kill"};
  tid_t t = thread_create();
  STORE(ran, 0);
  kthread_start(t, entry, &b, sizeof b, NULL, NULL);
  ktc_wait(gone, &t);
  kthread_kill(t, SIGUSR1);
}

static const struct ktc_case cases[] = {
    {"thread_create makes a TSIDL thread; kthread_start runs i_func on a copy of the data, "
     "and returning from it terminates the thread",
     created_idle_then_started},
    {"i_stackaddr is the highest address of the caller's stack; the data is copied to its base",
     data_is_copied_to_the_base_of_a_callers_stack},
    {"i_stackaddr 0: the kernel allocates a 96K stack", kernel_stack_is_96k},
    {"bad input (NULL i_func, a caller's stack without or below its size, data larger than the "
     "stack allows) is EINVAL and leaves the thread TSIDL",
     bad_input},
    {"ESRCH: the tid is not a thread created by thread_create and still TSIDL",
     esrch_for_a_tid_not_in_tsidl},
    {"signals in i_sigmask are blocked from delivery", sigmask_blocks_delivery},
    {"thread_terminate ends the calling thread", thread_terminate_ends_the_thread},
    {"thread_terminate outside a kernel thread panics", terminate_from_host_panics,
     "called from a host thread"},
    {"thread_create fails with EAGAIN at the thread limit", thread_create_limit_is_eagain},
    {"thread_self outside a kernel thread is -1", thread_self_on_a_host_thread},
    {"threads run at the kernel's priority, all named kthread", priority_and_name_are_the_kernels},
    {"kthread_kill of a thread that has gone panics", kill_of_a_gone_thread_panics,
     "names no kernel thread"},
    {"the data may fill a quarter of the 96K stack", largest_data_block_is_a_quarter_of_the_stack},
    {"signals sent while TSIDL are kept pending, then blocked or delivered by i_sigmask",
     signals_sent_while_tsidl_are_kept_pending},
    {"thread_create before boot is fatal", thread_create_before_boot_panics,
     "thread_create: called before kt_boot"},
};

KTC_MAIN("AIX kthread_start", cases)
