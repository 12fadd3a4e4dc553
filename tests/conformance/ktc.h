/*
 * ktc - the conformance harness: one C program per manual page, one case
 * per sentence it checks. Each case runs on a host thread in a freshly
 * booted kernel (2 vCPUs unless the case says otherwise) whose console is
 * captured; a case that must panic runs in a child process, and passes when
 * the child dies by abort() with the expected text on stderr.
 *
 * The program prints a line per case and ends with "N passed, N failed".
 */
#ifndef KTC_H
#define KTC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ktc_case {
  const char* sentence; /* what the page says, which the case checks */
  void (*fn)(void);
  const char* panic; /* NULL, or text the case must panic with */
  unsigned ncpu;     /* 0: 2 */
};

#define KTC_CHECK(cond) ktc_check(!!(cond), #cond, __FILE__, __LINE__)
#define KTC_CHECK_EQ(a, b) ktc_check_eq((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)

void ktc_check(int ok, const char* expr, const char* file, int line);
void ktc_check_eq(long long a, long long b, const char* ea, const char* eb, const char* file,
                  int line);

/* ktc_console() is what the kernel printed so far in this case. */
const char* ktc_console(void);

/* ktc_reboot() replaces this case's kernel by one with ncpu vCPUs and the
 * given maxproc (0: defaults); the console keeps collecting. */
void ktc_reboot(unsigned ncpu, unsigned maxproc);

/* ktc_shutdown() takes this case's kernel down now (running the shutdown
 * handlers); ktc_console() still shows what it printed. */
void ktc_shutdown(void);

/* ktc_in_kthread() runs fn(arg) in a kernel thread and waits for it. */
void ktc_in_kthread(void (*fn)(void*), void* arg);

/* ktc_wait() spins this host thread until pred(arg) holds; 0 after 30 s. */
int ktc_wait(int (*pred)(void*), void* arg);

/* ktc_main() runs the cases and returns the exit status. */
int ktc_main(const char* page, const struct ktc_case* cases, size_t n);

#define KTC_MAIN(page, cases) \
  int main(void) { return ktc_main(page, cases, sizeof(cases) / sizeof(cases[0])); }

#ifdef __cplusplus
}
#endif

#endif /* KTC_H */
