// Stacks: sizes, caller stacks, and overflow reported by name.
#include <cstring>
#include <string>
#include <vector>

#include "kt_test.h"
#include "md/context.h"

namespace kt::test {
namespace {

class Stack : public WithKernel {};
INSTANTIATE_TEST_SUITE_P(Ncpu, Stack, ::testing::Values(1u, 2u));

TEST_P(Stack, CallersStackIsUsed) {
  std::vector<std::byte> mem(256 * 1024);
  uintptr_t local_at = 0;
  Thread t({.stack = std::span<std::byte>(mem)}, [&] {
    int local = 0;
    local_at = reinterpret_cast<uintptr_t>(&local);
  });
  t.join();
  EXPECT_GE(local_at, reinterpret_cast<uintptr_t>(mem.data()));
  EXPECT_LT(local_at, reinterpret_cast<uintptr_t>(mem.data() + mem.size()));
}

__attribute__((noinline)) size_t use_stack(size_t bytes) {
  volatile char buf[4096];
  memset(const_cast<char*>(buf), 1, sizeof buf);
  if (bytes <= sizeof buf) return buf[0];
  return use_stack(bytes - sizeof buf) + buf[100];
}

TEST_P(Stack, LargeStackCanBeUsedAndPsShowsTouched) {
  size_t touched_small = 0, touched_big = 0;
  kt_tid_t id = 0;
  std::atomic<int> phase{0};
  Thread t({.stack_size = 512 * 1024}, [&] {
    id = kt_thread_self();
    phase = 1;
    while (phase != 2) kt_thread_yield();
    use_stack(256 * 1024);
    phase = 3;
    while (phase != 4) kt_thread_yield();
  });
  ASSERT_TRUE(wait_until([&] { return phase.load() == 1; }));
  for (const ProcInfo& p : ps())
    if (p.id == t.id()) touched_small = p.stack_touched;
  phase = 2;
  ASSERT_TRUE(wait_until([&] { return phase.load() == 3; }));
  for (const ProcInfo& p : ps())
    if (p.id == t.id()) touched_big = p.stack_touched;
  phase = 4;
  t.join();
  EXPECT_GE(touched_big, 256u * 1024);
  EXPECT_LT(touched_small, touched_big);
}

// The stack size a thread asked for, as the kernel maps it (sanitizer
// builds multiply every size).
constexpr size_t mapped(size_t asked) { return asked * md::kSanitizerStackFactor; }
constexpr size_t mapped_factor() { return md::kSanitizerStackFactor; }

size_t ps_stack_size(kt_tid_t id) {
  for (const ProcInfo& p : ps())
    if (p.id == id) return p.stack_size;
  return 0;
}

TEST_P(Stack, StackSizeOptionIsHonoured) {
  size_t listed = 0;
  bool done = false;
  Thread t({.stack_size = 256 * 1024}, [&] {
    listed = ps_stack_size(kt_thread_self());
    use_stack(224 * 1024);  // most of it
    done = true;
  });
  t.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(listed, mapped(256 * 1024));
}

TEST_P(Stack, DefaultStackSizeComesFromTheBootConfiguration) {
  kt_shutdown(0);
  kt_config c{};
  c.ncpu = ncpu();
  c.stack_size = 128 * 1024;
  ASSERT_EQ(kt_boot(&c), 0);
  size_t listed = 0;
  bool done = false;
  Thread t([&] {
    listed = ps_stack_size(kt_thread_self());
    use_stack(96 * 1024);
    done = true;
  });
  t.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(listed, mapped(128 * 1024));
}

// A face's nominal stack is what introspection reports; what is mapped is
// never smaller than it nor than the boot default.
TEST_P(Stack, NominalSizeIsReportedAndNeverMoreThanWhatIsMapped) {
  struct Case {
    size_t nominal;
    size_t mapped_at_least;
  };
  for (const Case c : {Case{12 * 1024, KT_DEFAULT_STACK}, Case{256 * 1024, 256 * 1024}}) {
    kt_thread_attr a{};
    a.name = "nominal";
    a.pri = -1;
    a.cpu = -1;
    a.flags = KT_MPSAFE | KT_JOINABLE;
    a.stack_nominal = c.nominal;
    size_t nominal = 0, mapped = 0;
    struct Arg {
      size_t use;
    } arg{c.nominal * 3 / 4};
    kt_tid_t t = 0;
    ASSERT_EQ(kt_thread_create(
                  &a, [](void* p) { use_stack(static_cast<Arg*>(p)->use); }, &arg, &t),
              0);
    ASSERT_EQ(kt_thread_stack(t, &nominal, &mapped), 0);
    EXPECT_EQ(nominal, c.nominal);
    EXPECT_GE(mapped, mapped_factor() * c.mapped_at_least);
    bool listed = false;
    for (const ProcInfo& p : ps())
      if (p.id == t) listed = p.stack_nominal == c.nominal && p.stack_size == mapped;
    EXPECT_TRUE(listed);
    ASSERT_EQ(kt_thread_join(t, nullptr), 0);
    EXPECT_EQ(kt_thread_stack(t, &nominal, &mapped), ESRCH);
  }
}

TEST_P(Stack, CallersStackIsListedAndLeftToTheCaller) {
  std::vector<std::byte> mem(128 * 1024);
  size_t listed = 0;
  Thread t({.stack = std::span<std::byte>(mem)}, [&] {
    listed = ps_stack_size(kt_thread_self());
    use_stack(64 * 1024);
  });
  t.join();
  EXPECT_EQ(listed, mem.size());
  // Still the caller's: neither unmapped nor reused (this would fault).
  memset(mem.data(), 0x5a, mem.size());
  EXPECT_EQ(mem[0], std::byte{0x5a});
}

__attribute__((noinline)) int overflow(int depth) {
  volatile char pad[1024];
  pad[0] = char(depth);
  return overflow(depth + 1) + pad[0];
}

TEST_P(Stack, OverflowIsReportedWithTheThreadsName) {
#if defined(KT_SANITIZE_ADDRESS)
  GTEST_SKIP() << "AddressSanitizer reports stack overflows itself";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(run_in_kthread([] { overflow(0); }, {.name = "deepdiver"}),
               "kernel thread pid [0-9]+ 'deepdiver' overflowed its [0-9]+-byte stack");
}

TEST_P(Stack, OverflowReportNamesTheSizeOfAnExplicitStack) {
#if defined(KT_SANITIZE_ADDRESS)
  GTEST_SKIP() << "AddressSanitizer reports stack overflows itself";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string want =
      "'sized' overflowed its " + std::to_string(mapped(64 * 1024)) + "-byte stack";
  EXPECT_DEATH(run_in_kthread([] { overflow(0); }, {.name = "sized", .stack_size = 64 * 1024}),
               want);
}

TEST_P(Stack, OverflowOfACallersStackIsCaughtByTheCanary) {
#if defined(KT_SANITIZE_ADDRESS)
  GTEST_SKIP() << "AddressSanitizer reports stack overflows itself";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        // The caller's memory has no guard: a thread that writes past its
        // bottom (here on purpose, into the canary) is caught at its next
        // switch, before the memory below is trusted again.
        static std::vector<std::byte> mem(64 * 1024);
        run_in_kthread(
            [] {
              memset(mem.data(), 0, 64);
              kt_thread_yield();
              int chan;
              kt_sleep(&chan, "x", 0, 1000);
            },
            {.name = "ownstack", .stack = std::span<std::byte>(mem)});
      },
      "'ownstack' overflowed its [0-9]+-byte stack \\(canary smashed\\)");
}

}  // namespace
}  // namespace kt::test

namespace kt::test {
namespace {

void boot_guarded(unsigned guard) {
  kt_config c{};
  c.ncpu = 1;
  c.stack_guard = guard;
  if (kt_boot(&c) != 0) abort();
}

// The fallbacks of a host without guard regions (Linux before 6.13), forced
// here: a PROT_NONE page below the stack faults, and the report names the
// thread; with canaries only, an overflow into the gap below the stack is
// caught when the thread next switches.
TEST(StackGuards, PageGuardFaultIsReportedWithTheThreadsName) {
#if defined(KT_SANITIZE_ADDRESS)
  GTEST_SKIP() << "AddressSanitizer reports stack overflows itself";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        boot_guarded(KT_GUARD_PAGE);
        run_in_kthread([] { overflow(0); }, {.name = "paged"});
      },
      "kernel thread pid [0-9]+ 'paged' overflowed its [0-9]+-byte stack");
}

TEST(StackGuards, CanaryCatchesAnOverflowAtTheNextSwitch) {
#if defined(KT_SANITIZE_ADDRESS)
  GTEST_SKIP() << "AddressSanitizer reports stack overflows itself";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        boot_guarded(KT_GUARD_CANARY);
        run_in_kthread(
            [] {
              // An overflow that has run 2 KiB past the bottom of the stack
              // into the writable gap below: nothing faults, the switch that
              // follows reports it.
              const md::Stack& s = curthread()->stack_;
              if (s.guard != md::GuardKind::kGap) {
                fprintf(stderr, "stack guard is %s, not the canary\n", md::to_string(s.guard));
                return;
              }
              memset(s.lo - 2048, 0x5a, 2048 + 64);
              int chan;
              kt_sleep(&chan, "smashed", 0, 1000);  // a sleep always switches
            },
            {.name = "canaried"});
      },
      "'canaried' overflowed its [0-9]+-byte stack \\(canary smashed\\)");
}

TEST(StackGuards, AnUnknownGuardIsEinval) {
  kt_config c{};
  c.stack_guard = KT_GUARD_CANARY + 1;
  EXPECT_EQ(kt_boot(&c), EINVAL);
  c.stack_guard = 0;
  c.kt_reserved0 = 1;
  EXPECT_EQ(kt_boot(&c), EINVAL);
}

}  // namespace
}  // namespace kt::test
