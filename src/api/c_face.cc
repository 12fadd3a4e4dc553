// The face support ABI (kt/c/face.h).
#include <cstdarg>
#include <cstdio>

#include "base/assert.h"
#include "core/kernel.h"
#include "core/thread.h"
#include "kt/c/face.h"

using namespace kt;

static_assert(KT_FACE_AREA == kFaceAreaSize, "face area size is ABI");

extern "C" void* kt_face_area(uint64_t t) {
  KThread* p = proctab::lookup(t);
  return p ? p->face_ : nullptr;
}

extern "C" uint64_t kt_face_owner(const void* area) {
  KThread* t = proctab::from_address(area);
  if (!t || static_cast<const void*>(t->face_) != area) return 0;
  return t->tid();
}

extern "C" int kt_face_valid(const void* p) {
  KThread* t = proctab::slot_at(p);
  return t && static_cast<const void*>(t->face_) == p;
}

extern "C" void* kt_face_self(void) {
  KThread* t = curthread();
  return t ? t->face_ : nullptr;
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
