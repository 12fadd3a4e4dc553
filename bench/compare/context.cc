// Raw Boost.Context, the floor for any user-level switch: fcontext jumps
// with no scheduler, no queue and no lock.
#include <boost/context/detail/fcontext.hpp>
#include <cstdlib>

#include "compare.h"

namespace ktcmp::context {
namespace {

namespace bc = boost::context::detail;

constexpr size_t kStack = 64 * 1024;

// An empty thread: back to its creator at once, never resumed again.
void empty(bc::transfer_t t) { bc::jump_fcontext(t.fctx, nullptr); }

// A player: jumps back to whoever resumed it, for ever.
void bounce(bc::transfer_t t) {
  for (;;) t = bc::jump_fcontext(t.fctx, nullptr);
}

}  // namespace

double spawn(const Opts& o) {
  static char stack[kStack] alignas(64);
  return median(o, [&] {
    const long n = 5000000 / o.scale;
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
      bc::fcontext_t c = bc::make_fcontext(stack + kStack, kStack, empty);
      bc::jump_fcontext(c, nullptr);
    }
    return double(now_ns() - t0) / double(n);
  });
}

double pingpong(const Opts& o) {
  static char stack[kStack] alignas(64);
  return median(o, [&] {
    const long n = 10000000 / o.scale;
    bc::fcontext_t c = bc::make_fcontext(stack + kStack, kStack, bounce);
    const uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) c = bc::jump_fcontext(c, nullptr).fctx;
    return double(now_ns() - t0) / double(2 * n);
  });
}

}  // namespace ktcmp::context
