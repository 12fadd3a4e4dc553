// Shared fixtures: every test boots a fresh kernel and shuts it down, and
// TearDown checks that nothing leaked (no descriptor left allocated).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "core/thread.h"
#include "kt/kthreads.hpp"

namespace kt {
// gtest prints states by name.
inline void PrintTo(State s, std::ostream* os) { *os << to_string(s); }
}  // namespace kt

namespace kt::test {

// WithKernel boots a kernel of GetParam() vCPUs.
class WithKernel : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    kt_config c{};
    c.ncpu = GetParam();
    config(c);
    ASSERT_EQ(kt_boot(&c), 0);
  }
  void TearDown() override {
    kt_shutdown(0);
    EXPECT_EQ(proctab::nprocs(), 0u) << "descriptors still allocated after shutdown";
  }
  virtual void config(kt_config&) {}
  unsigned ncpu() const { return GetParam(); }
};

// Death tests that need a running kernel set
//   GTEST_FLAG_SET(death_test_style, "threadsafe");
// so that the child re-executes the test (and boots) instead of forking a
// process whose vCPU threads do not exist.

#define KT_INSTANTIATE_NCPU(Fixture)                                         \
  INSTANTIATE_TEST_SUITE_P(Ncpu, Fixture, ::testing::Values(1u, 2u, 4u, 8u), \
                           [](const auto& info) { return "ncpu" + std::to_string(info.param); })

// run_in_kthread() runs f in a joinable kernel thread and waits for it, so a
// test body can use kernel-thread-only calls.
inline void run_in_kthread(std::function<void()> f, ThreadOptions o = {}) {
  Thread t(o, [&] { f(); });
  t.join();
}

// wait_until() spins the host thread until pred holds; a test that must see
// a state transition in another vCPU uses it instead of sleeping blindly.
// The bound is generous: it only guards against a hang.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace kt::test
