/* The conformance harness (ktc.h). */
#define _GNU_SOURCE
#include "ktc.h"

#include <errno.h>
#include <kt/c/thread.h>
#include <kt/kernel.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int case_failed;
static char* console_buf;
static size_t console_len;
static FILE* console;

void ktc_check(int ok, const char* expr, const char* file, int line) {
  if (ok) return;
  case_failed = 1;
  fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, expr);
}

void ktc_check_eq(long long a, long long b, const char* ea, const char* eb, const char* file,
                  int line) {
  if (a == b) return;
  case_failed = 1;
  fprintf(stderr, "    %s:%d: %s == %s failed: %lld != %lld\n", file, line, ea, eb, a, b);
}

const char* ktc_console(void) {
  fflush(console);
  return console_buf ? console_buf : "";
}

struct call {
  void (*fn)(void*);
  void* arg;
};

static void trampoline(void* p) {
  struct call* c = (struct call*)p;
  c->fn(c->arg);
}

void ktc_in_kthread(void (*fn)(void*), void* arg) {
  struct call c = {fn, arg};
  struct kt_thread_attr a;
  kt_tid_t t = 0;
  memset(&a, 0, sizeof a);
  a.name = "ktc";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  if (kt_thread_create(&a, trampoline, &c, &t) != 0 || kt_thread_join(t, NULL) != 0) {
    case_failed = 1;
    fprintf(stderr, "    ktc_in_kthread: could not run the kernel thread\n");
  }
}

int ktc_wait(int (*pred)(void*), void* arg) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!pred(arg)) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 30) return 0;
    sched_yield();
  }
  return 1;
}

static int boot_with(unsigned ncpu, unsigned maxproc) {
  struct kt_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.ncpu = ncpu ? ncpu : 2;
  cfg.maxproc = maxproc;
  cfg.console = console;
  return kt_boot(&cfg);
}

static int boot(unsigned ncpu) {
  console_buf = NULL;
  console_len = 0;
  console = open_memstream(&console_buf, &console_len);
  return boot_with(ncpu, 0);
}

void ktc_reboot(unsigned ncpu, unsigned maxproc) {
  kt_shutdown(0);
  if (boot_with(ncpu, maxproc) != 0) {
    case_failed = 1;
    fprintf(stderr, "    ktc_reboot: cannot boot\n");
  }
}

void ktc_shutdown(void) { kt_shutdown(0); }

static void unboot(void) {
  kt_shutdown(0);
  fclose(console);
  free(console_buf);
  console_buf = NULL;
}

static int run_plain(const struct ktc_case* c) {
  case_failed = 0;
  if (boot(c->ncpu) != 0) {
    fprintf(stderr, "    cannot boot\n");
    return 0;
  }
  c->fn();
  unboot();
  return !case_failed;
}

/* A panic case: the child boots its own kernel and must die by abort()
 * with the expected text on its stderr. */
static int run_panic(const struct ktc_case* c) {
  int fds[2];
  if (pipe(fds) != 0) return 0;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60); /* a case that hangs instead of panicking fails, not the run */
    dup2(fds[1], 2);
    close(fds[0]);
    boot(c->ncpu);
    c->fn();
    fprintf(stderr, "ktc: case returned without panicking\n");
    _exit(0);
  }
  close(fds[1]);
  char buf[8192];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)r;
  buf[n] = '\0';
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  const int died = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  const int said = strstr(buf, c->panic) != NULL;
  if (!died || !said)
    fprintf(stderr, "    expected a panic with \"%s\"; child %s, stderr:\n%s\n", c->panic,
            died ? "aborted" : "did not abort", buf);
  return died && said;
}

int ktc_main(const char* page, const struct ktc_case* cases, size_t n) {
  int passed = 0, failed = 0;
  printf("%s\n", page);
  for (size_t i = 0; i < n; i++) {
    const int ok = cases[i].panic ? run_panic(&cases[i]) : run_plain(&cases[i]);
    printf("%s %s\n", ok ? "  ok  " : "  FAIL", cases[i].sentence);
    fflush(stdout);
    if (ok)
      passed++;
    else
      failed++;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
