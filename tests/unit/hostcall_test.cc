// Blocking host calls hand the vCPU to another host thread meanwhile.
#include <unistd.h>

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

TEST(Hostcall, HostThreadsMayCallItFreely) {
  kt_hostcall_enter();  // no kernel thread: nothing to hand over
  kt_hostcall_exit();
  SUCCEED();
}

}  // namespace
}  // namespace kt::test
