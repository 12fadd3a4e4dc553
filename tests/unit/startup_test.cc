// Start-up (SYSINIT order), the deferred queue, and shutdown handlers.
#include "kt/c/startup.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

std::vector<std::string>* trace;
void note(const void* s) { trace->push_back(static_cast<const char*>(s)); }

TEST(Startup, SysinitsRunInSubsystemThenOrderInAKernelThread) {
  std::vector<std::string> t;
  trace = &t;
  static kt_sysinit a{20, 1, note, "20.1", nullptr, 0};
  static kt_sysinit b{10, 5, note, "10.5", nullptr, 0};
  static kt_sysinit c{10, 2, note, "10.2", nullptr, 0};
  static kt_sysinit in_kthread{30,
                               0,
                               [](const void*) {
                                 trace->push_back(kt_thread_self() ? "kthread" : "host"); },
                               nullptr,
                               nullptr,
                               0};
  kt_sysinit_register(&a);
  kt_sysinit_register(&b);
  kt_sysinit_register(&c);
  kt_sysinit_register(&in_kthread);
  ASSERT_EQ(kt_boot(nullptr), 0);
  EXPECT_EQ(t, (std::vector<std::string>{"10.2", "10.5", "20.1", "kthread"}));
  // Registered once the system is up: runs at once.
  static kt_sysinit late{1, 0, note, "late", nullptr, 0};
  kt_sysinit_register(&late);
  EXPECT_EQ(t.back(), "late");
  for (kt_sysinit* s : {&a, &b, &c, &in_kthread, &late}) kt_sysinit_deregister(s);
  kt_shutdown(0);
}

TEST(Startup, DeferredQueueRunsInOrderAndNestedDeferralsRunAtOnce) {
  std::vector<std::string> t;
  trace = &t;
  auto add = [](void* s) { trace->push_back(static_cast<const char*>(s)); };
  kt_defer(add, const_cast<char*>("first"));
  kt_defer(
      [](void*) {
        trace->push_back("second");
        // Made while the queue drains: runs now, before "third" (R10).
        kt_defer([](void*) { trace->push_back("nested"); }, nullptr);
      },
      nullptr);
  kt_defer(add, const_cast<char*>("third"));
  EXPECT_TRUE(t.empty());  // before boot: queued
  ASSERT_EQ(kt_boot(nullptr), 0);
  EXPECT_EQ(t, (std::vector<std::string>{"first", "second", "nested", "third"}));
  kt_defer(add, const_cast<char*>("after"));
  EXPECT_EQ(t.back(), "after");
  kt_shutdown(0);
}

TEST(Startup, ShutdownHandlersRunByListThenPriorityThenOrder) {
  std::vector<std::string> t;
  trace = &t;
  ASSERT_EQ(kt_boot(nullptr), 0);
  auto h = [](void* s, int) { trace->push_back(static_cast<const char*>(s)); };
  kt_shutdown_register(KT_SHUTDOWN_FINAL, h, const_cast<char*>("final"), 0);
  kt_shutdown_register(KT_SHUTDOWN_PRE_SYNC, h, const_cast<char*>("pre-last"), 20000);
  kt_shutdown_register(KT_SHUTDOWN_PRE_SYNC, h, const_cast<char*>("pre-a"), 10000);
  kt_shutdown_register(KT_SHUTDOWN_PRE_SYNC, h, const_cast<char*>("pre-b"), 10000);
  kt_shutdown_register(KT_SHUTDOWN_POST_SYNC, h, const_cast<char*>("post"), 0);
  static void* self_tag;
  self_tag = kt_shutdown_register(
      KT_SHUTDOWN_PRE_SYNC,
      [](void*, int) {
        trace->push_back("self-removing");
        kt_shutdown_deregister(KT_SHUTDOWN_PRE_SYNC, self_tag);
      },
      nullptr, 0);
  EXPECT_EQ(kt_shutdown_register(7, h, nullptr, 0), nullptr);
  EXPECT_EQ(kt_shutdown_register(KT_SHUTDOWN_FINAL, h, nullptr, 20001), nullptr);
  kt_shutdown(0);
  EXPECT_EQ(t, (std::vector<std::string>{"self-removing", "pre-a", "pre-b", "pre-last", "post",
                                         "final"}));
}

// The system is declared up only once the start-up functions have run; they
// may create threads meanwhile. A host thread looking while one runs sees a
// starting kernel, not an up one.
std::atomic<int> stage{0};  // 1: a start-up function waits; 2: the host thread has looked
std::atomic<int> phase_in_sysinit{-1}, phase_from_host{-1}, booted_from_host{-1};
std::atomic<int> early_rc{-1}, early_join{-1};
std::atomic<bool> early_ran{false};
std::atomic<int> phase_in_handler{-1}, booted_in_handler{-1};

// A start-up function that creates a thread, then waits for the host
// thread's look before it joins it.
void waits_for_a_look(const void*) {
  phase_in_sysinit = kt_boot_phase();
  kt_thread_attr a{};
  a.name = "early";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  kt_tid_t t = 0;
  early_rc = kt_thread_create(
      &a, [](void*) { early_ran = true; }, nullptr, &t);
  stage = 1;
  while (stage.load() != 2) kt_thread_yield();
  early_join = kt_thread_join(t, nullptr);
}

TEST(Startup, SystemIsUpOnlyAfterTheStartupFunctionsRan) {
  stage = 0;
  static kt_sysinit rec{10, 0, waits_for_a_look, nullptr, nullptr, 0};
  kt_sysinit_register(&rec);
  std::thread watcher([] {
    while (stage.load() != 1) std::this_thread::yield();
    booted_from_host = kt_booted();
    phase_from_host = kt_boot_phase();
    stage = 2;
  });
  EXPECT_EQ(kt_boot_phase(), KT_BOOT_DOWN);
  ASSERT_EQ(kt_boot(nullptr), 0);
  watcher.join();
  kt_sysinit_deregister(&rec);
  EXPECT_EQ(phase_in_sysinit.load(), KT_BOOT_STARTING);
  EXPECT_EQ(phase_from_host.load(), KT_BOOT_STARTING);
  EXPECT_EQ(booted_from_host.load(), 0);
  EXPECT_EQ(early_rc.load(), 0);
  EXPECT_EQ(early_join.load(), 0);
  EXPECT_TRUE(early_ran.load());
  EXPECT_EQ(kt_booted(), 1);
  EXPECT_EQ(kt_boot_phase(), KT_BOOT_UP);
  kt_shutdown_register(
      KT_SHUTDOWN_PRE_SYNC,
      [](void*, int) {
        phase_in_handler = kt_boot_phase();
        booted_in_handler = kt_booted();
      },
      nullptr, 0);
  kt_shutdown(0);
  EXPECT_EQ(phase_in_handler.load(), KT_BOOT_STOPPING);
  EXPECT_EQ(booted_in_handler.load(), 0);
  EXPECT_EQ(kt_booted(), 0);
  EXPECT_EQ(kt_boot_phase(), KT_BOOT_DOWN);
}

// A boot the host refuses a thread for (RLIMIT_NPROC, charged to an unused
// uid, leaves room for one vCPU of four) returns EAGAIN and runs neither the
// start-up functions nor the shutdown handlers of a start-up that never
// ran; both belong to the next boot, which succeeds once the limit is lifted.
std::atomic<int> sysinit_runs{0}, handler_runs{0};

unsigned my_threads() {
  unsigned n = 0;
  if (FILE* f = fopen("/proc/self/status", "r")) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "Threads: %u", &n) == 1) break;
    fclose(f);
  }
  return n;
}

[[noreturn]] void boot_refused_then_granted() {
  alarm(60);
  static kt_sysinit counts{10, 0, [](const void*) { sysinit_runs++; }, nullptr, nullptr, 0};
  kt_sysinit_register(&counts);
  kt_shutdown_register(
      KT_SHUTDOWN_PRE_SYNC, [](void*, int) { handler_runs++; }, nullptr, 0);
  rlimit r{};
  getrlimit(RLIMIT_NPROC, &r);
  const rlim_t granted = r.rlim_cur;
  r.rlim_cur = my_threads() + 1;
  if (setrlimit(RLIMIT_NPROC, &r) != 0 || setuid(54321) != 0) _exit(2);
  kt_config c{};
  c.ncpu = 4;
  const int refused = kt_boot(&c);
  fprintf(stderr, "refused %s phase %d sysinits %d handlers %d\n",
          refused == EAGAIN ? "EAGAIN" : "otherwise", kt_boot_phase(), sysinit_runs.load(),
          handler_runs.load());
  r.rlim_cur = granted;
  setrlimit(RLIMIT_NPROC, &r);
  const int booted = kt_boot(&c);
  kt_shutdown(0);
  fprintf(stderr, "booted %d sysinits %d handlers %d\n", booted, sysinit_runs.load(),
          handler_runs.load());
  _exit(0);
}

TEST(StartupDeath, BootRefusedByTheHostRunsNoStartupOrShutdown) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to charge the test to another uid";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(boot_refused_then_granted(), ::testing::ExitedWithCode(0),
              "refused EAGAIN phase 0 sysinits 0 handlers 0\n.*booted 0 sysinits 1 handlers 1\n");
}

}  // namespace
}  // namespace kt::test
