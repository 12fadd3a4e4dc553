// The machine-dependent seam for switching between kernel threads.
//
// A Context is a suspended register set on some stack: Boost.Context's
// fcontext. jump() saves the caller's registers on its own stack and resumes
// the target; the target learns where the caller was suspended from the
// returned Transfer, and must record it before anything else (see
// Vcpu::finish_switch). What a switch does NOT save: the host thread's TLS,
// its signal mask, and the floating-point control words are saved by
// fcontext (MXCSR, x87 CW) but nothing else of the FP state is (it is
// caller-saved in the SysV ABI). Since a kernel thread may resume on another
// host thread, nothing may cache the address of a host thread_local across a
// switch: read it through a non-inlined accessor (core/vcpu.h curvcpu()).
//
// Every switch is announced to the sanitizers (ASan's and TSan's fiber APIs),
// so the test suite runs clean under both.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>
#include <cstdint>

namespace kt::md {

using Fctx = void*;

struct Transfer {
  Fctx from;   // where the context that jumped to us is suspended
  void* data;  // what it passed
};

using EntryFn = void (*)(Transfer);

// Sanitizer bookkeeping for one stack (a kernel thread's, or a host thread's
// native stack). Empty in ordinary builds.
struct FiberSan {
#if defined(KT_SANITIZE_ADDRESS)
  const void* stack_bottom = nullptr;
  size_t stack_size = 0;
  void* fake_stack = nullptr;
#endif
#if defined(KT_SANITIZE_THREAD)
  void* tsan_fiber = nullptr;
  bool tsan_owned = false;
#endif
};

// make_context() prepares a context that will enter fn on the stack whose
// highest address is top (16-byte aligned) and whose usable size is size.
Fctx make_context(void* top, size_t size, EntryFn fn);

// jump() suspends the caller and resumes to. It returns when some context
// jumps back, with that context's suspension point. Inline: it is the heart
// of every switch, and the call into Boost.Context's assembly is all it is.
inline Transfer jump(Fctx to, void* data) {
  const boost::context::detail::transfer_t t = boost::context::detail::jump_fcontext(to, data);
  return Transfer{t.fctx, t.data};
}

// Sanitizer hooks around jump(). san_prepare() is called before the first
// switch to a new stack, san_release() when that stack is retired.
// san_before() is called just before jump() from `from` to `to`; `dying`
// says the caller will never be resumed. san_after() is called first thing
// in the resumed context. Without a sanitizer they are empty and inline, so
// the switch pays nothing for them.
#if defined(KT_SANITIZE_ADDRESS) || defined(KT_SANITIZE_THREAD)
void san_prepare(FiberSan* f, const void* stack_bottom, size_t size);
void san_adopt_host(FiberSan* f);  // the calling host thread's own stack
void san_release(FiberSan* f);
void san_before(FiberSan* from, FiberSan* to, bool dying);
void san_after(FiberSan* self);
#else
inline void san_prepare(FiberSan*, const void*, size_t) {}
inline void san_adopt_host(FiberSan*) {}
inline void san_release(FiberSan*) {}
inline void san_before(FiberSan*, FiberSan*, bool) {}
inline void san_after(FiberSan*) {}
#endif

// Sanitizer builds need larger stacks: ASan's redzones and TSan's shadow
// frames inflate every frame.
#if defined(KT_SANITIZE_ADDRESS) || defined(KT_SANITIZE_THREAD)
inline constexpr size_t kSanitizerStackFactor = 4;
#else
inline constexpr size_t kSanitizerStackFactor = 1;
#endif

}  // namespace kt::md
