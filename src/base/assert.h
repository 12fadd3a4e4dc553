// Assertions and panics.
//
// KT_ASSERT is on when NDEBUG is not defined or KT_DEBUG=1, and compiled out
// otherwise: never put side effects in it. KT_PANIC is always on; it is for
// what a kernel never tolerates (guard page hit, impossible state, a misuse a
// real kernel panics on). Its message names the current kernel thread.
#pragma once

#include <cstdarg>

namespace kt {

// panic() prints "panic: <message>" with the current kernel thread's pid and
// name (or the host thread), then aborts the process. Never returns.
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void vpanic(const char* fmt, va_list ap);

namespace detail {
[[noreturn]] void assert_failed(const char* expr, const char* file, int line, const char* fmt, ...);
}  // namespace detail

}  // namespace kt

#if !defined(NDEBUG) || (defined(KT_DEBUG) && KT_DEBUG)
#define KT_ASSERTS_ON 1
#else
#define KT_ASSERTS_ON 0
#endif

#define KT_PANIC(...) ::kt::panic(__VA_ARGS__)

#if KT_ASSERTS_ON
#define KT_ASSERT(cond)          \
  (__builtin_expect(!!(cond), 1) \
       ? (void)0                 \
       : ::kt::detail::assert_failed(#cond, __FILE__, __LINE__, nullptr))
#define KT_ASSERT_MSG(cond, ...) \
  (__builtin_expect(!!(cond), 1) \
       ? (void)0                 \
       : ::kt::detail::assert_failed(#cond, __FILE__, __LINE__, __VA_ARGS__))
#else
#define KT_ASSERT(cond) ((void)0)
#define KT_ASSERT_MSG(cond, ...) ((void)0)
#endif

#define KT_LIKELY(x) __builtin_expect(!!(x), 1)
#define KT_UNLIKELY(x) __builtin_expect(!!(x), 0)
