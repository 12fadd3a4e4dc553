// The ps listing.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "kt_test.h"

namespace kt::test {
namespace {

TEST(Ps, ListsPidNameStateAndWaitMessage) {
  kt_config c{};
  c.ncpu = 2;
  ASSERT_EQ(kt_boot(&c), 0);
  int chan = 0;
  {
    Thread t({.name = "napper", .priority = 77, .cpu = 1},
             [&] { kt_sleep(&chan, "napping", 0, 0); });
    ASSERT_TRUE(wait_until([&] { return t.state() == State::kSleeping; }));
    char* buf = nullptr;
    size_t len = 0;
    FILE* out = open_memstream(&buf, &len);
    kt_ps(out);
    fclose(out);
    const std::string text(buf, len);
    free(buf);
    const std::string pid = std::to_string(t.pid());
    EXPECT_NE(text.find("PID"), std::string::npos);
    const size_t line = text.find(" napper ");
    ASSERT_NE(line, std::string::npos) << text;
    const std::string row =
        text.substr(text.rfind('\n', line) + 1, text.find('\n', line) - text.rfind('\n', line) - 1);
    EXPECT_NE(row.find(pid), std::string::npos) << row;
    EXPECT_NE(row.find("sleeping"), std::string::npos) << row;
    EXPECT_NE(row.find("napping"), std::string::npos) << row;
    EXPECT_NE(row.find(" 77 "), std::string::npos) << row;
    // The same row through the C++ API.
    bool found = false;
    for (const ProcInfo& p : kt::ps()) {
      if (p.id != t.id()) continue;
      found = true;
      EXPECT_EQ(p.pid, t.pid());
      EXPECT_EQ(p.name, "napper");
      EXPECT_EQ(p.state, State::kSleeping);
      EXPECT_EQ(p.wmesg, "napping");
      EXPECT_EQ(p.priority, 77);
      EXPECT_EQ(p.cpu, 1);
      EXPECT_TRUE(p.bound);
      EXPECT_GT(p.stack_size, 0u);
    }
    EXPECT_TRUE(found);
    kt_wakeup(&chan);
  }
  kt_shutdown(0);
}

}  // namespace
}  // namespace kt::test
