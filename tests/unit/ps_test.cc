// The ps listing.
#include "core/ps.h"

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
    kt_wakeup(&chan);
  }
  kt_shutdown(0);
}

}  // namespace
}  // namespace kt::test
