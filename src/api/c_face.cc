// The face support ABI (kt/c/face.h): owned face areas, ticks, the console.
#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include "base/assert.h"
#include "core/kernel.h"
#include "core/thread.h"
#include "core/unwind.h"
#include "kt/c/face.h"

using namespace kt;

namespace {

static_assert(KT_FACE_AREA == kFaceAreaSize, "the face area's size is ABI");

// A descriptor's face_owner_ says which face claimed it: cleared when the
// slot is reused, so a thread is owned only by the face that created it, and
// a gone thread keeps its owner (for ESRCH) until then. Written once by the
// creator before the thread is published; read without locks by lookups
// that may race with a slot's reuse, hence relaxed atomics.
bool owned_by(const KThread* t, int face) {
  return face != KT_FACE_NONE &&
         t->face_owner_.load(std::memory_order_relaxed) == static_cast<uint32_t>(face);
}

}  // namespace

extern "C" void kt_face_claim(void* area, int face) {
  KThread* t = proctab::slot_at(area);
  if (!t || static_cast<void*>(t->face_) != area) panic("kt_face_claim: %p is no face area", area);
  if (face <= KT_FACE_NONE || face > KT_FACE_AIX) panic("kt_face_claim: unknown face %d", face);
  t->face_owner_.store(static_cast<uint32_t>(face), std::memory_order_relaxed);
}

extern "C" void* kt_face_self(int face) {
  KThread* t = curthread();
  return t && owned_by(t, face) ? t->face_ : nullptr;
}

extern "C" void* kt_face_area(uint64_t tid, int face) {
  KThread* t = proctab::lookup(tid);
  return t && owned_by(t, face) ? t->face_ : nullptr;
}

extern "C" int kt_face_handle(const void* p, int face, uint64_t* tid) {
  KThread* t = proctab::slot_at(p);
  if (!t || static_cast<const void*>(t->face_) != p || !owned_by(t, face)) return EINVAL;
  if (t->state_.load(std::memory_order_acquire) == ThreadState::kFree) return ESRCH;
  if (tid) *tid = t->tid();
  return 0;
}

extern "C" uint64_t kt_ticks_ns(int ticks, int hz, const char* fn) {
  if (hz <= 0) panic("%s: hz is %d; it must be positive", fn, hz);
  if (ticks == 0) return 0;
  const uint64_t n = ticks < 0 ? 1 : static_cast<uint64_t>(ticks);
  return n * 1000000000ull / static_cast<uint64_t>(hz);
}

extern "C" void kt_unwind_to(void* buf, uintptr_t cfa, void (*land)(void*), void* arg,
                             const char* who) {
  if (!curthread()) panic("%s: called from a host thread; only a kernel thread unwinds", who);
  unwind_to(buf, cfa, land, arg, who);
}

extern "C" void kt_vprintf(const char* fmt, va_list ap) {
  KernelState* k = kern();
  FILE* out = k ? k->console : stderr;
  vfprintf(out, fmt, ap);
  fflush(out);
}

extern "C" void kt_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kt_vprintf(fmt, ap);
  va_end(ap);
}

extern "C" void kt_panic(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vpanic(fmt, ap);
}
