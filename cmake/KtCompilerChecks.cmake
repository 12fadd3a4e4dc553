# KtCompilerChecks.cmake -- toolchain probes used by the top-level CMakeLists.

include(CheckCXXSourceCompiles)
include(CMakePushCheckState)

# kt_check_libatomic(<out-var>)
#   Sets <out-var> to TRUE when word-sized std::atomic operations need
#   -latomic to link (they do not on x86-64/aarch64 with g++/clang).
#   Note: 16-byte atomics (std::atomic<__int128>, double-word CAS) always go
#   through libatomic with g++; if the library starts using them, link
#   "atomic" explicitly.
function(kt_check_libatomic out_var)
  set(_src [=[
#include <atomic>
#include <cstdint>
std::atomic<std::uint64_t> a64{0};
std::atomic<void*> ap{nullptr};
int main() {
  a64.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t e = 1;
  a64.compare_exchange_strong(e, 2);
  void* p = nullptr;
  ap.compare_exchange_weak(p, &p);
  return static_cast<int>(a64.load());
}
]=])
  cmake_push_check_state(RESET)
  set(CMAKE_REQUIRED_QUIET ON)
  set(CMAKE_REQUIRED_FLAGS "-std=c++20")
  check_cxx_source_compiles("${_src}" KT_ATOMIC_WITHOUT_LIB)
  if(NOT KT_ATOMIC_WITHOUT_LIB)
    set(CMAKE_REQUIRED_LIBRARIES atomic)
    check_cxx_source_compiles("${_src}" KT_ATOMIC_WITH_LIB)
    if(NOT KT_ATOMIC_WITH_LIB)
      message(FATAL_ERROR "kthreads: std::atomic does not link, even with -latomic")
    endif()
  endif()
  cmake_pop_check_state()
  if(KT_ATOMIC_WITHOUT_LIB)
    set(${out_var} FALSE PARENT_SCOPE)
  else()
    set(${out_var} TRUE PARENT_SCOPE)
  endif()
endfunction()

# kt_glob(<out-var> <pattern>...)
#   GLOB_RECURSE with CONFIGURE_DEPENDS, sorted, relative patterns resolved
#   against the project source dir.  Empty list when nothing matches.
function(kt_glob out_var)
  set(_patterns)
  foreach(_p IN LISTS ARGN)
    list(APPEND _patterns "${PROJECT_SOURCE_DIR}/${_p}")
  endforeach()
  file(GLOB_RECURSE _files CONFIGURE_DEPENDS ${_patterns})
  list(SORT _files)
  set(${out_var} "${_files}" PARENT_SCOPE)
endfunction()
