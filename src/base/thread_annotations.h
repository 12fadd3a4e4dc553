// Clang thread-safety annotations. They vanish under compilers that lack the
// attributes, so g++ builds see plain declarations; one CI job builds with
// clang and -Wthread-safety -Werror to check them.
#pragma once

#if defined(__clang__)
#define KT_TSA(x) __attribute__((x))
#else
#define KT_TSA(x)
#endif

#define KT_CAPABILITY(x) KT_TSA(capability(x))
#define KT_SCOPED_CAPABILITY KT_TSA(scoped_lockable)
#define KT_GUARDED_BY(x) KT_TSA(guarded_by(x))
#define KT_PT_GUARDED_BY(x) KT_TSA(pt_guarded_by(x))
#define KT_REQUIRES(...) KT_TSA(requires_capability(__VA_ARGS__))
#define KT_EXCLUDES(...) KT_TSA(locks_excluded(__VA_ARGS__))
#define KT_ACQUIRE(...) KT_TSA(acquire_capability(__VA_ARGS__))
#define KT_RELEASE(...) KT_TSA(release_capability(__VA_ARGS__))
#define KT_TRY_ACQUIRE(...) KT_TSA(try_acquire_capability(__VA_ARGS__))
#define KT_ASSERT_CAPABILITY(x) KT_TSA(assert_capability(x))
#define KT_RETURN_CAPABILITY(x) KT_TSA(lock_returned(x))
#define KT_NO_THREAD_SAFETY_ANALYSIS KT_TSA(no_thread_safety_analysis)
