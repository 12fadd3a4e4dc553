// Creating, running, exiting and joining kernel threads.
#include <atomic>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kt/c/startup.h"
#include "kt_test.h"

namespace kt::test {
namespace {

class Lifecycle : public WithKernel {};
KT_INSTANTIATE_NCPU(Lifecycle);

TEST_P(Lifecycle, ThreadRunsAndJoinReturnsExitStatus) {
  std::atomic<int> ran{0};
  Thread t({.name = "runner"}, [&] {
    ran = 1;
    this_thread::exit(42);
  });
  EXPECT_EQ(t.join(), 42);
  EXPECT_EQ(ran.load(), 1);
}

TEST_P(Lifecycle, ReturningFromTheEntryExitsWithZero) {
  Thread t([] {});
  EXPECT_EQ(t.join(), 0);
}

TEST_P(Lifecycle, ManyThreadsAllRunAndJoin) {
  std::atomic<int> count{0};
  std::vector<Thread> ts;
  for (int i = 0; i < 200; i++) ts.emplace_back(ThreadOptions{.name = "w"}, [&] { count++; });
  for (auto& t : ts) t.join();
  EXPECT_EQ(count.load(), 200);
}

TEST_P(Lifecycle, ExitFromDepthRunsDestructors) {
  std::atomic<int> destroyed{0};
  struct Guard {
    std::atomic<int>* n;
    ~Guard() { (*n)++; }
  };
  Thread t([&] {
    Guard a{&destroyed};
    std::function<void(int)> dive = [&](int depth) {
      Guard g{&destroyed};
      if (depth == 0) this_thread::exit(7);
      dive(depth - 1);
    };
    dive(5);
  });
  EXPECT_EQ(t.join(), 7);
  EXPECT_EQ(destroyed.load(), 7);  // six frames of dive plus the outer guard
}

TEST_P(Lifecycle, NameAndPidArePublishedBeforeTheFirstRun) {
  kt_tid_t seen_self = 0;
  kt_tid_t published = 0;
  std::atomic<bool> go{false};
  kt_thread_attr a{};
  a.name = "publish";
  a.pri = -1;
  a.cpu = -1;
  a.flags = KT_MPSAFE | KT_JOINABLE;
  struct Ctx {
    kt_tid_t* published;
    kt_tid_t* seen;
  } ctx{&published, &seen_self};
  ASSERT_EQ(kt_thread_create(
                &a,
                [](void* p) {
                  auto* c = static_cast<Ctx*>(p);
                  // The creator's handle is already written when we run.
                  *c->seen = *c->published;
                },
                &ctx, &published),
            0);
  ASSERT_EQ(kt_thread_join(published, nullptr), 0);
  EXPECT_EQ(seen_self, published);
  (void)go;
}

TEST_P(Lifecycle, StaleHandleIsDetected) {
  Thread t([] {});
  const kt_tid_t id = t.id();
  t.join();
  EXPECT_EQ(kt_thread_join(id, nullptr), ESRCH);
  EXPECT_EQ(kt_thread_pid(id), -1);
  EXPECT_EQ(kt_thread_start(id), ESRCH);
}

TEST_P(Lifecycle, SelfJoinIsEdeadlk) {
  int rc = 0;
  run_in_kthread([&] { rc = kt_thread_join(kt_thread_self(), nullptr); });
  EXPECT_EQ(rc, EDEADLK);
}

TEST_P(Lifecycle, JoinOfDetachedIsEinval) {
  std::atomic<bool> release{false};
  Thread t({.joinable = false}, [&] {
    while (!release) kt_thread_yield();
  });
  EXPECT_EQ(kt_thread_join(t.id(), nullptr), EINVAL);
  release = true;
  // A detached thread frees itself: its handle goes stale.
  EXPECT_TRUE(wait_until([&] { return t.state() == State::kGone; }));
}

TEST_P(Lifecycle, DetachedJoinableThreadFreesItself) {
  Thread t([] {});
  t.detach();
  EXPECT_FALSE(t.joinable());
  EXPECT_TRUE(wait_until([&] { return t.state() == State::kGone; }));
}

TEST_P(Lifecycle, ShutdownLeavesAYieldingThreadAndReportsIt) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* console = open_memstream(&buf, &len);
  kt_shutdown(0);
  kt_config c{};
  c.ncpu = ncpu();
  c.console = console;
  ASSERT_EQ(kt_boot(&c), 0);
  std::atomic<bool> running{false};
  Thread t({.name = "spinner", .joinable = false}, [&] {
    running = true;
    for (;;) kt_thread_yield();
  });
  ASSERT_TRUE(wait_until([&] { return running.load(); }));
  kt_shutdown(0);
  fclose(console);
  const std::string out(buf, len);
  free(buf);
  EXPECT_NE(out.find("left pid"), std::string::npos) << out;
  EXPECT_NE(out.find("'spinner'"), std::string::npos) << out;
  EXPECT_EQ(out.find("abandoned"), std::string::npos) << out;
  kt_config d{};
  d.ncpu = ncpu();
  ASSERT_EQ(kt_boot(&d), 0);  // for TearDown
}

TEST_P(Lifecycle, IdleThreadRunsOnlyAfterStart) {
  std::atomic<int> ran{0};
  Thread t({.start_idle = true}, [&] { ran = 1; });
  EXPECT_EQ(t.state(), State::kIdle);
  EXPECT_EQ(ran.load(), 0);
  t.start();
  t.join();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(kt_thread_start(t.id()), ESRCH);
}

TEST_P(Lifecycle, BoundThreadRunsOnlyOnItsVcpu) {
  for (unsigned cpu = 0; cpu < ncpu(); cpu++) {
    std::atomic<int> wrong{0};
    Thread t({.cpu = int(cpu)}, [&] {
      for (int i = 0; i < 100; i++) {
        if (kt_thread_cpu(kt_thread_self()) != int(cpu)) wrong++;
        kt_thread_yield();
      }
    });
    t.join();
    EXPECT_EQ(wrong.load(), 0);
  }
}

TEST_P(Lifecycle, BadAttributesCreateNothing) {
  const unsigned before = proctab::nprocs();
  kt_thread_attr a{};
  a.pri = -1;
  a.cpu = -1;
  auto fn = [](void*) {};
  EXPECT_EQ(kt_thread_create(&a, nullptr, nullptr, nullptr), EINVAL);
  EXPECT_EQ(kt_thread_create(nullptr, fn, nullptr, nullptr), EINVAL);
  a.pri = 256;
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  a.pri = -2;
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  a.pri = -1;
  a.cpu = int(ncpu());
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  a.cpu = -1;
  a.flags = 0x100;
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  a.flags = KT_INTR;  // without MPSAFE
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  a.flags = 0;
  a.sched = 7;
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  a.sched = KT_SCHED_RR;
  a.stack_size = KT_MIN_STACK - 1;
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  a.stack_size = 0;
  char small[1024];
  a.stack_top = small + sizeof small;
  a.stack_len = sizeof small;
  EXPECT_EQ(kt_thread_create(&a, fn, nullptr, nullptr), EINVAL);
  EXPECT_EQ(proctab::nprocs(), before);
}

// Each bad option is refused with EINVAL and a message naming that option,
// not a catch-all.
TEST_P(Lifecycle, NativeApiNamesWhatWasWrong) {
  struct Case {
    ThreadOptions o;
    const char* says;
  };
  std::vector<Case> cases;
  cases.push_back({{.priority = 999}, "priority"});
  cases.push_back({{.cpu = int(ncpu())}, "vCPU"});
  cases.push_back({{.mpsafe = false, .intr = true}, "MPSAFE"});
  cases.push_back({{.stack_size = 1024}, "stack size"});
  for (const Case& c : cases) {
    try {
      Thread t(c.o, [] {});
      ADD_FAILURE() << "created a thread with a bad option (" << c.says << ")";
    } catch (const Error& e) {
      EXPECT_EQ(e.code().value(), EINVAL);
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
      for (const Case& other : cases)
        if (&other != &c)
          EXPECT_EQ(std::string(e.what()).find(other.says), std::string::npos)
              << "the message names " << other.says << " too: " << e.what();
    }
  }
}

TEST_P(Lifecycle, MaxprocLimitsLiveThreadsWithEagain) {
  kt_shutdown(0);
  kt_config c{};
  c.ncpu = ncpu();
  c.maxproc = 8;
  ASSERT_EQ(kt_boot(&c), 0);
  std::atomic<bool> release{false};
  std::vector<Thread> ts;
  for (int i = 0; i < 8; i++)
    ts.emplace_back(ThreadOptions{}, [&] {
      while (!release) kt_thread_yield();
    });
  try {
    Thread extra([] {});
    ADD_FAILURE() << "ninth thread created past maxproc 8";
  } catch (const Error& e) {
    EXPECT_EQ(e.code().value(), EAGAIN);
  }
  release = true;
  for (auto& t : ts) t.join();
  Thread again([] {});  // slots are free again
  again.join();
}

TEST(LifecycleNoKernel, CreateWithoutKernelIsEnxio) {
  kt_thread_attr a{};
  a.pri = -1;
  a.cpu = -1;
  EXPECT_EQ(kt_thread_create(
                &a, [](void*) {}, nullptr, nullptr),
            ENXIO);
}

TEST(LifecycleNoKernel, BootValidatesAndRefusesASecondBoot) {
  kt_config c{};
  c.ncpu = KT_MAXCPU + 1;
  EXPECT_EQ(kt_boot(&c), EINVAL);
  c.ncpu = 1;
  c.stack_size = 100;
  EXPECT_EQ(kt_boot(&c), EINVAL);
  c.stack_size = 0;
  c.kt_reserved[3] = 1;
  EXPECT_EQ(kt_boot(&c), EINVAL);
  c.kt_reserved[3] = 0;
  ASSERT_EQ(kt_boot(&c), 0);
  EXPECT_EQ(kt_boot(&c), EBUSY);
  kt_shutdown(0);
  EXPECT_EQ(kt_booted(), 0);
}

// Once kt_shutdown has begun (its handlers run), a host thread can no
// longer create a kernel thread: ENXIO, and nothing is created. (A shutdown
// handler holds the shutdown there while a host thread tries.)
TEST(LifecycleNoKernel, HostCreationDuringShutdownIsEnxio) {
  kt_config c{};
  c.ncpu = 2;
  ASSERT_EQ(kt_boot(&c), 0);
  struct Probe {
    std::atomic<int> rc{-1};
    std::atomic<bool> tried{false};
  } probe;
  void* tag = kt_shutdown_register(
      KT_SHUTDOWN_PRE_SYNC,
      [](void* arg, int) {
        auto* p = static_cast<Probe*>(arg);
        std::thread host([p] {
          kt_thread_attr a{};
          a.name = "late";
          a.pri = -1;
          a.cpu = -1;
          a.flags = KT_MPSAFE;
          kt_tid_t t = 0;
          p->rc = kt_thread_create(
              &a, [](void*) {}, nullptr, &t);
          p->tried = true;
        });
        host.join();
      },
      &probe, 0);
  ASSERT_NE(tag, nullptr);
  kt_shutdown(0);
  EXPECT_TRUE(probe.tried.load());
  EXPECT_EQ(probe.rc.load(), ENXIO);
  EXPECT_EQ(proctab::nprocs(), 0u);
}

TEST(LifecycleDeath, ExitFromHostThreadPanics) {
  EXPECT_DEATH(kt_thread_exit(0), "kthread_exit: called from a host thread");
}

// Exit must not return: a catch (...) that swallows its unwind is a panic
// that names the thread, and so is an exception leaving a thread's entry.
TEST(LifecycleDeath, SwallowedExitAndEscapingExceptionsPanicNamingTheThread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto in_kernel = [](auto body) {
    kt_config c{};
    c.ncpu = 1;
    ASSERT_EQ(kt_boot(&c), 0);
    Thread t({.name = "culprit"}, body);
    t.join();
    kt_shutdown(0);
  };
  EXPECT_DEATH(in_kernel([] {
                 try {
                   kt_thread_exit(3);
                 } catch (...) {
                 }
               }),
               "'culprit': kthread_exit's unwind was caught and not rethrown");
  EXPECT_DEATH(in_kernel([] { throw std::runtime_error("out of widgets"); }),
               "'culprit' let an exception escape its entry function: out of widgets");
}

// A handle whose implicit join cannot be done (its own thread destroys it)
// panics, naming the thread and why: a destructor has nobody to report to.
TEST(LifecycleDeath, DestroyingTheHandleInItsOwnThreadPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        kt_config c{};
        c.ncpu = 1;
        ASSERT_EQ(kt_boot(&c), 0);
        std::optional<Thread> self;
        std::atomic<bool> ready{false};
        self.emplace([&] {
          while (!ready) kt_thread_yield();
          self.reset();
        });
        ready = true;
        while (true) std::this_thread::yield();
      },
      "implicit join of pid [0-9]+ failed .*a thread destroyed its own handle");
}

// A catch (...) that rethrows lets the exit go on: destructors run, and the
// status reaches the joiner.
TEST_P(Lifecycle, ExitThroughARethrowingCatchAllCompletes) {
  bool cleaned = false;
  Thread t([&] {
    try {
      kt_thread_exit(5);
    } catch (...) {
      cleaned = true;
      throw;
    }
  });
  EXPECT_EQ(t.join(), 5);
  EXPECT_TRUE(cleaned);
}

}  // namespace
}  // namespace kt::test
