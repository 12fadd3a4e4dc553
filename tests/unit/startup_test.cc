// Start-up (SYSINIT order), the deferred queue, and shutdown handlers.
#include "kt/c/startup.h"

#include <string>
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

}  // namespace
}  // namespace kt::test
