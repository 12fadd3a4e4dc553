// Raw Boost.Context, the floor under any user-level thread: fcontext jumps
// with no scheduler, no queue, no lock and no allocation.
//   spawn:    make a context on one preallocated, reused stack, jump in; it
//             jumps straight back and is never resumed (it has finished).
//   pingpong: two contexts jumping to each other; one jump is one one-way
//             switch.
// And the other floor under anything that synchronises between CPUs:
//   locked_rmw: one uncontended locked exchange on a line of its own, the
//             price of every spin-lock acquisition (and of any locked
//             instruction), paid however the code around it is trimmed.
#include <atomic>
#include <boost/context/detail/fcontext.hpp>
#include <cstdlib>

#include "compare.h"

namespace ktcmp::context {
namespace {

namespace bc = boost::context::detail;

constexpr size_t kStack = 64 * 1024;
alignas(64) char g_stack[kStack];

void finish(bc::transfer_t t) { bc::jump_fcontext(t.fctx, nullptr); }

void bounce(bc::transfer_t t) {
  for (;;) t = bc::jump_fcontext(t.fctx, nullptr);
}

}  // namespace

double spawn(const Opts& o) {
  return median(o, [&] {
    const long n = 5000000 / o.scale;
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
      bc::fcontext_t c = bc::make_fcontext(g_stack + kStack, kStack, finish);
      bc::jump_fcontext(c, nullptr);
    }
    return double(now_ns() - t0) / double(n);
  });
}

double pingpong(const Opts& o) {
  return median(o, [&] {
    const long n = 10000000 / o.scale;
    bc::fcontext_t c = bc::make_fcontext(g_stack + kStack, kStack, bounce);
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) c = bc::jump_fcontext(c, nullptr).fctx;
    return double(now_ns() - t0) / double(2 * n);
  });
}

double locked_rmw(const Opts& o) {
  alignas(64) static std::atomic<long> word{0};
  return median(o, [&] {
    const long n = 20000000 / o.scale;
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) word.exchange(i, std::memory_order_acquire);
    return double(now_ns() - t0) / double(n);
  });
}

}  // namespace ktcmp::context
