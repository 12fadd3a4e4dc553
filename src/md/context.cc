// Boost.Context backend of the context seam, and the sanitizers' fiber hooks.
#include "md/context.h"

#include <pthread.h>

#include <boost/context/detail/fcontext.hpp>

#if defined(KT_SANITIZE_ADDRESS)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(KT_SANITIZE_THREAD)
#include <sanitizer/tsan_interface.h>
#endif

namespace bctx = boost::context::detail;

namespace kt::md {

static_assert(sizeof(Fctx) == sizeof(bctx::fcontext_t), "fcontext is one pointer");
static_assert(sizeof(Transfer) == sizeof(bctx::transfer_t), "Transfer mirrors transfer_t");

Fctx make_context(void* top, size_t size, EntryFn fn) {
  // Transfer mirrors transfer_t (asserted above): the cast only renames the type.
  return bctx::make_fcontext(
      top, size, reinterpret_cast<void (*)(bctx::transfer_t)>(reinterpret_cast<void (*)()>(fn)));
}

#if defined(KT_SANITIZE_ADDRESS) || defined(KT_SANITIZE_THREAD)

void san_prepare(FiberSan* f, const void* stack_bottom, size_t size) {
#if defined(KT_SANITIZE_ADDRESS)
  f->stack_bottom = stack_bottom;
  f->stack_size = size;
  f->fake_stack = nullptr;
  // A recycled stack may carry poisoned redzones of frames that were never
  // popped (a thread that exited from deep inside its call chain).
  ASAN_UNPOISON_MEMORY_REGION(stack_bottom, size);
#else
  (void)stack_bottom;
  (void)size;
#endif
#if defined(KT_SANITIZE_THREAD)
  f->tsan_fiber = __tsan_create_fiber(0);
  f->tsan_owned = true;
#endif
  (void)f;
}

void san_adopt_host(FiberSan* f) {
#if defined(KT_SANITIZE_ADDRESS)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    f->stack_bottom = addr;
    f->stack_size = size;
    pthread_attr_destroy(&attr);
  }
#endif
#if defined(KT_SANITIZE_THREAD)
  f->tsan_fiber = __tsan_get_current_fiber();
  f->tsan_owned = false;
#endif
  (void)f;
}

void san_release(FiberSan* f) {
#if defined(KT_SANITIZE_ADDRESS)
  // A stack given up holds the redzones of frames that were never popped
  // (a thread ends inside a switch): clear them, since the memory goes back
  // to its owner (a caller's stack) or to the pool.
  if (f->stack_bottom) ASAN_UNPOISON_MEMORY_REGION(f->stack_bottom, f->stack_size);
  f->stack_bottom = nullptr;
#endif
#if defined(KT_SANITIZE_THREAD)
  if (f->tsan_owned && f->tsan_fiber) __tsan_destroy_fiber(f->tsan_fiber);
  f->tsan_fiber = nullptr;
  f->tsan_owned = false;
#endif
  (void)f;
}

void san_before(FiberSan* from, FiberSan* to, bool dying) {
#if defined(KT_SANITIZE_ADDRESS)
  __sanitizer_start_switch_fiber(dying ? nullptr : &from->fake_stack, to->stack_bottom,
                                 to->stack_size);
#endif
#if defined(KT_SANITIZE_THREAD)
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  (void)from;
  (void)to;
  (void)dying;
}

void san_after(FiberSan* self) {
#if defined(KT_SANITIZE_ADDRESS)
  __sanitizer_finish_switch_fiber(self->fake_stack, nullptr, nullptr);
#endif
  (void)self;
}

#endif  // KT_SANITIZE_ADDRESS || KT_SANITIZE_THREAD

}  // namespace kt::md

extern "C" {
__thread void* kt_md_host_slot __attribute__((tls_model("initial-exec"))) = nullptr;
}
