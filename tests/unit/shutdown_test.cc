// kt_shutdown never hangs: a handler that never returns is cut short and
// named, a vCPU that never reaches a preemption point is abandoned, and the
// whole shutdown stays within shutdown_wait_ms (plus the vCPUs' grace).
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>

#include "kt/c/sleep.h"
#include "kt/c/startup.h"
#include "kt_test.h"

namespace kt::test {
namespace {

using Clock = std::chrono::steady_clock;

// Long enough that the "shutdown" thread surely reaches its handler within it
// on two loaded cores under a sanitizer; each case waits it once.
constexpr unsigned kWaitMs = 500;

long ms_since(Clock::time_point t0) {
  return long(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

// Console captures what kt_shutdown reports.
struct Console {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  ~Console() {
    fclose(f);
    free(buf);
  }
  std::string text() {
    fflush(f);
    return std::string(buf, len);
  }
};

bool has(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

std::atomic<int> ran_after{0};
int forever;  // a channel nobody wakes

void sleep_forever(void*, int) { kt_sleep(&forever, "forever", 0, 0); }
void yield_forever(void*, int) {
  for (;;) kt_thread_yield();
}
void count(void*, int) { ran_after++; }

void boot(unsigned ncpu, FILE* console) {
  kt_config c{};
  c.ncpu = ncpu;
  c.shutdown_wait_ms = kWaitMs;
  c.console = console;
  ASSERT_EQ(kt_boot(&c), 0);
}

// A handler asleep for ever holds its thread, not the kernel: it is cut
// short after the wait, named with its list, the handlers after it are
// counted as not run, and the vCPUs still stop and free everything.
TEST(ShutdownBound, HandlerThatNeverReturnsIsCutShortAndNamed) {
  Console con;
  boot(2, con.f);
  ran_after = 0;
  ASSERT_NE(kt_shutdown_register(KT_SHUTDOWN_PRE_SYNC, sleep_forever, &forever, 0), nullptr);
  ASSERT_NE(kt_shutdown_register(KT_SHUTDOWN_PRE_SYNC, count, nullptr, 10), nullptr);
  ASSERT_NE(kt_shutdown_register(KT_SHUTDOWN_FINAL, count, nullptr, 0), nullptr);
  const auto t0 = Clock::now();
  kt_shutdown(0);
  const long took = ms_since(t0);
  const std::string out = con.text();
  EXPECT_GE(took, long(kWaitMs)) << "the handler had the whole wait";
  EXPECT_LT(took, 20L * kWaitMs) << "bounded";
  EXPECT_EQ(ran_after.load(), 0);
  EXPECT_TRUE(has(out, "shutdown_pre_sync handler")) << out;
  EXPECT_TRUE(has(out, "did not return in")) << out;
  EXPECT_TRUE(has(out, "2 shutdown handlers not run")) << out;
  EXPECT_TRUE(has(out, "'shutdown' sleeping on forever")) << out;
  EXPECT_FALSE(has(out, "abandoned")) << out;
  EXPECT_EQ(proctab::nprocs(), 0u);
  EXPECT_EQ(kt_boot_phase(), KT_BOOT_DOWN);

  // The next kernel starts with no handler of the last one.
  Console again;
  boot(1, again.f);
  kt_shutdown(0);
  EXPECT_EQ(ran_after.load(), 0);
  EXPECT_EQ(again.text(), "");
}

// A handler that only yields is left at its next preemption point once the
// vCPUs stop.
TEST(ShutdownBound, HandlerYieldingForeverIsLeftRunnable) {
  Console con;
  boot(1, con.f);
  ASSERT_NE(kt_shutdown_register(KT_SHUTDOWN_POST_SYNC, yield_forever, nullptr, 0), nullptr);
  kt_shutdown(0);
  const std::string out = con.text();
  EXPECT_TRUE(has(out, "shutdown_post_sync handler")) << out;
  EXPECT_TRUE(has(out, "'shutdown' runnable")) << out;
  EXPECT_FALSE(has(out, "not run")) << out;
  EXPECT_FALSE(has(out, "abandoned")) << out;
  EXPECT_EQ(proctab::nprocs(), 0u);
}

// Handlers that return in time leave no trace in the report, and the
// shutdown thread itself is not reported as left.
TEST(ShutdownBound, HandlersThatReturnAreNotReported) {
  Console con;
  boot(2, con.f);
  ran_after = 0;
  for (int l : {KT_SHUTDOWN_PRE_SYNC, KT_SHUTDOWN_POST_SYNC, KT_SHUTDOWN_FINAL})
    ASSERT_NE(kt_shutdown_register(l, count, nullptr, 0), nullptr);
  kt_shutdown(0);
  EXPECT_EQ(ran_after.load(), 3);
  EXPECT_EQ(con.text(), "");
}

// A thread that never reaches a preemption point on every vCPU: the shutdown
// thread never runs, the vCPUs never stop. kt_shutdown still returns within
// the bound, says the handlers never ran, lists the hogs and the shutdown
// thread, and abandons the kernel. In a child process: the abandoned hogs
// spin until it exits.
std::atomic<int> hogs_running{0};
std::atomic<bool> hogs_release{false};

[[noreturn]] void hog_every_vcpu_then_shut_down() {
  alarm(60);  // a hang fails the test instead of stalling the suite
  kt_config c{};
  c.ncpu = 2;
  c.shutdown_wait_ms = kWaitMs;
  if (kt_boot(&c) != 0) _exit(3);
  kt_shutdown_register(KT_SHUTDOWN_PRE_SYNC, count, nullptr, 0);
  for (int cpu = 0; cpu < 2; cpu++) {
    kt_thread_attr a{};
    a.name = cpu == 0 ? "hog0" : "hog1";
    a.pri = -1;
    a.cpu = cpu;
    a.flags = KT_MPSAFE;
    kt_tid_t t;
    if (kt_thread_create(
            &a,
            [](void*) {
              hogs_running++;
              while (!hogs_release.load(std::memory_order_relaxed)) __builtin_ia32_pause();
            },
            nullptr, &t) != 0)
      _exit(4);
  }
  while (hogs_running.load() < 2) ::sched_yield();
  const auto t0 = Clock::now();
  kt_shutdown(0);
  const long took = ms_since(t0);
  fprintf(stderr, "kt_shutdown took %ld ms; ran %d handlers\n", took, ran_after.load());
  _exit(took < 20L * kWaitMs && ran_after.load() == 0 && kt_boot_phase() == KT_BOOT_DOWN ? 0 : 1);
}

TEST(ShutdownBoundDeath, HogOnEveryVcpuIsReportedAndAbandoned) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(hog_every_vcpu_then_shut_down(), ::testing::ExitedWithCode(0),
              "the shutdown handlers never ran: no vCPU took the thread in [0-9]+ ms"
              ".*1 shutdown handler not run"
              ".*left pid [0-9]+ 'hog[01]' running.*left pid [0-9]+ 'hog[01]' running"
              ".*2 host threads still busy; abandoned"
              ".*kt_shutdown took [0-9]+ ms; ran 0 handlers");
}

}  // namespace
}  // namespace kt::test
