// Blocking host calls hand the vCPU to another host thread meanwhile.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

TEST(Hostcall, BlockedHostCallDoesNotStopTheVcpu) {
  kt_config c{};
  c.ncpu = 1;
  ASSERT_EQ(kt_boot(&c), 0);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::atomic<bool> other_ran{false};
  char got = 0;
  int after = -1;
  {
    Thread reader([&] {
      kt_hostcall_enter();
      const ssize_t n = read(fds[0], &got, 1);  // blocks in the host
      kt_hostcall_exit();
      (void)n;
      // A kernel thread again: it can sleep on a channel.
      after = kt_sleep(&after, "after", 0, 1000000);
    });
    ASSERT_TRUE(wait_until([&] { return reader.state() == State::kHostcall; }));
    bool listed = false;
    for (const ProcInfo& p : ps()) listed |= p.id == reader.id() && p.state == State::kHostcall;
    EXPECT_TRUE(listed);
    // The only vCPU is free for others while the reader blocks.
    Thread other([&] { other_ran = true; });
    other.join();
    EXPECT_TRUE(other_ran.load());
    ASSERT_EQ(write(fds[1], "x", 1), 1);
  }
  EXPECT_EQ(got, 'x');
  EXPECT_EQ(after, EWOULDBLOCK);
  close(fds[0]);
  close(fds[1]);
  kt_shutdown(0);
}

// errno read and written afresh: the compiler may reuse errno's address
// across a call (glibc's __errno_location is const), and across a host call
// the address changes.
[[gnu::noinline]] int* errno_here() {
  int* p = &errno;
  asm volatile("" : "+r"(p));
  return p;
}
long host_tid() { return syscall(SYS_gettid); }

// A host call that fails leaves its errno; the kernel thread comes back from
// it on another host thread, whose own errno another kernel thread has set
// meanwhile, and still sees the call's.
TEST(Hostcall, ErrnoOfTheHostCallSurvivesTheMoveToAnotherHostThread) {
  kt_config c{};
  c.ncpu = 1;
  ASSERT_EQ(kt_boot(&c), 0);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  long tid_in_call = 0, tid_after = 0;
  off_t rc = 0;
  int err_after = 0;
  kt_tid_t self_before = 0, self_after = 0;
  {
    Thread caller({.name = "caller"}, [&] {
      char ch;
      self_before = kt_thread_self();
      kt_hostcall_enter();
      const ssize_t n = read(fds[0], &ch, 1);        // until the poisoner has run
      rc = n == 1 ? lseek(fds[0], 0, SEEK_SET) : 0;  // a pipe: ESPIPE
      tid_in_call = host_tid();
      kt_hostcall_exit();
      err_after = *errno_here();
      tid_after = host_tid();
      self_after = kt_thread_self();  // who am I, asked on the new host thread
    });
    Thread poisoner({.name = "poisoner"}, [&] {
      while (caller.state() != State::kHostcall) kt_thread_yield();
      // On the host thread that drives the vCPU now, where the caller resumes.
      *errno_here() = EDOM;
      EXPECT_EQ(write(fds[1], "x", 1), 1);
    });
  }
  EXPECT_EQ(rc, -1);
  EXPECT_NE(tid_after, tid_in_call) << "resumed on another host thread";
  EXPECT_EQ(err_after, ESPIPE);
  EXPECT_NE(self_before, 0u);
  EXPECT_EQ(self_after, self_before) << "the same kernel thread, on another host thread";
  close(fds[0]);
  close(fds[1]);
  kt_shutdown(0);
}

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(pipe(fd), 0); }
  ~Pipe() {
    close(fd[0]);
    hangup();
  }
  // read_one() blocks in the host, bracketed as a host call.
  char read_one() {
    char c = 0;
    kt_hostcall_enter();
    const ssize_t n = read(fd[0], &c, 1);
    kt_hostcall_exit();
    return n == 1 ? c : 0;
  }
  void write_one(char c) { EXPECT_EQ(write(fd[1], &c, 1), 1); }
  // hangup() closes the write end: a blocked reader sees end of file.
  void hangup() {
    if (fd[1] >= 0) close(fd[1]);
    fd[1] = -1;
  }
};

// Hangup, declared after the threads, releases their reads when a test
// returns early, so that the threads' destructors can join them.
struct Hangup {
  std::vector<Pipe*> pipes;
  ~Hangup() {
    for (Pipe* p : pipes) p->hangup();
  }
};

class HostcallK : public WithKernel {};
INSTANTIATE_TEST_SUITE_P(Ncpu, HostcallK, ::testing::Values(1u, 2u),
                         [](const auto& info) { return "ncpu" + std::to_string(info.param); });

TEST_P(HostcallK, SeveralThreadsBlockInTheHostAtOnce) {
  Pipe p[3];
  char got[3] = {};
  std::vector<Thread> readers;
  for (int i = 0; i < 3; i++)
    readers.emplace_back(ThreadOptions{.name = "reader", .cpu = 0},
                         [&, i] { got[i] = p[i].read_one(); });
  Hangup guard{{&p[0], &p[1], &p[2]}};
  for (auto& r : readers) ASSERT_TRUE(wait_until([&] { return r.state() == State::kHostcall; }));
  int listed = 0;
  for (const ProcInfo& row : ps()) listed += row.name == "reader" && row.state == State::kHostcall;
  EXPECT_EQ(listed, 3);
  // vCPU 0 still runs kernel threads.
  std::atomic<bool> ran{false};
  Thread other({.cpu = 0}, [&] { ran = true; });
  other.join();
  EXPECT_TRUE(ran.load());
  for (int i = 0; i < 3; i++) p[i].write_one(char('a' + i));
  for (auto& r : readers) r.join();
  EXPECT_EQ(got[0], 'a');
  EXPECT_EQ(got[1], 'b');
  EXPECT_EQ(got[2], 'c');
}

TEST_P(HostcallK, BoundThreadComesBackToItsVcpu) {
  Pipe p;
  const int cpu = int(ncpu()) - 1;
  int before = -1, after = -1;
  Thread t({.cpu = cpu}, [&] {
    before = kt_thread_cpu(kt_thread_self());
    p.read_one();
    after = kt_thread_cpu(kt_thread_self());
    kt_thread_yield();  // scheduled again from its vCPU's queue
    if (kt_thread_cpu(kt_thread_self()) != cpu) after = -2;
  });
  Hangup guard{{&p}};
  ASSERT_TRUE(wait_until([&] { return t.state() == State::kHostcall; }));
  p.write_one('x');
  t.join();
  EXPECT_EQ(before, cpu);
  EXPECT_EQ(after, cpu);
}

TEST_P(HostcallK, BigLockIsLetGoDuringAHostCall) {
  Pipe p;
  std::atomic<int> held_after{-1};
  Thread reader({.mpsafe = false}, [&] {
    p.read_one();
    held_after = kt_biglock_held();
  });
  Hangup guard{{&p}};
  ASSERT_TRUE(wait_until([&] { return reader.state() == State::kHostcall; }));
  // Another thread that needs the big lock gets it meanwhile.
  std::atomic<bool> other_ran{false};
  Thread other({.mpsafe = false}, [&] { other_ran = true; });
  const bool ran = wait_until([&] { return other_ran.load(); });
  p.write_one('x');
  EXPECT_TRUE(ran) << "the big lock stayed with a thread blocked in the host";
  other.join();
  reader.join();
  EXPECT_EQ(held_after.load(), 1);  // and it is taken again after
}

TEST_P(HostcallK, AfterAHostCallItSleepsAndIsWokenAsBefore) {
  Pipe p;
  int chan = 0;
  std::atomic<int> rc{-1};
  Thread t([&] {
    p.read_one();
    rc = kt_sleep(&chan, "after", 0, 0);
  });
  Hangup guard{{&p}};
  ASSERT_TRUE(wait_until([&] { return t.state() == State::kHostcall; }));
  p.write_one('x');
  ASSERT_TRUE(wait_until([&] { return t.state() == State::kSleeping; }));
  EXPECT_EQ(kt_wakeup(&chan), 1);
  t.join();
  EXPECT_EQ(rc.load(), 0);
}

// Host threads go back to the pool after a host call and are lent again:
// many blocking calls in turn from threads sharing the vCPUs.
TEST_P(HostcallK, RepeatedHostCallsKeepEveryVcpuDriven) {
  Pipe p[3];
  std::atomic<int> done[3] = {};
  std::vector<Thread> ts;
  for (int i = 0; i < 3; i++)
    ts.emplace_back(ThreadOptions{.name = "caller"}, [&, i] {
      for (int r = 0; r < 50; r++) {
        if (p[i].read_one() == 0) return;  // hung up
        done[i]++;
        kt_thread_yield();
      }
    });
  Hangup guard{{&p[0], &p[1], &p[2]}};
  for (int r = 0; r < 50; r++)
    for (int i = 0; i < 3; i++) {
      ASSERT_TRUE(wait_until([&] { return ts[size_t(i)].state() == State::kHostcall; }))
          << "thread " << i << " round " << r;
      p[i].write_one('r');
      ASSERT_TRUE(wait_until([&] { return done[i].load() == r + 1; }));
    }
  for (auto& t : ts) t.join();
}

// With no host thread to lend, a host call keeps (and blocks) its vCPU.
class OneHostcall : public WithKernel {
  void config(kt_config& c) override { c.max_hostcalls = 1; }
};
INSTANTIATE_TEST_SUITE_P(Ncpu, OneHostcall, ::testing::Values(2u),
                         [](const auto& info) { return "ncpu" + std::to_string(info.param); });

TEST_P(OneHostcall, PastTheLimitAHostCallKeepsItsVcpu) {
  Pipe first, second;
  std::atomic<bool> entered{false};
  Thread a({.name = "lent", .cpu = 0}, [&] { first.read_one(); });
  Hangup guard_a{{&first}};
  ASSERT_TRUE(wait_until([&] { return a.state() == State::kHostcall; }));
  Thread b({.name = "kept", .cpu = 1}, [&] {
    kt_hostcall_enter();
    entered = true;
    char c;
    EXPECT_GE(read(second.fd[0], &c, 1), 0);
    kt_hostcall_exit();
  });
  Hangup guard_b{{&second}};
  ASSERT_TRUE(wait_until([&] { return entered.load(); }));
  EXPECT_EQ(b.state(), State::kRunning);  // still on vCPU 1, blocking it
  second.write_one('y');
  b.join();
  first.write_one('x');
  a.join();
}

TEST(HostcallDeath, SleepingInsideAHostCallPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        kt_config c{};
        c.ncpu = 1;
        kt_boot(&c);
        run_in_kthread(
            [] {
              int chan;
              kt_hostcall_enter();
              kt_sleep(&chan, "wrong", 0, 1000000);
            },
            {.name = "sleepy"});
      },
      "'sleepy' slept inside a host call");
}

TEST(HostcallDeath, NestedHostCallPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        kt_config c{};
        c.ncpu = 1;
        kt_boot(&c);
        run_in_kthread(
            [] {
              kt_hostcall_enter();
              kt_hostcall_enter();
            },
            {.name = "nested"});
      },
      "kt_hostcall_enter: pid [0-9]+ 'nested' is already in a host call");
}

TEST(Hostcall, HostThreadsMayCallItFreely) {
  kt_hostcall_enter();  // no kernel thread: nothing to hand over
  kt_hostcall_exit();
  SUCCEED();
}

}  // namespace
}  // namespace kt::test
