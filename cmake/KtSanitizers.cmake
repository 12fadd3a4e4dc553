# KtSanitizers.cmake -- global sanitizer setup driven by KT_SANITIZE.
#
#   KT_SANITIZE=""        no sanitizers
#   KT_SANITIZE=address   AddressSanitizer + UndefinedBehaviorSanitizer
#   KT_SANITIZE=thread    ThreadSanitizer
#
# Flags are applied with add_compile_options()/add_link_options() so that every
# target defined after the call (library, tests, tools) is instrumented.  They
# are directory properties and are therefore NOT exported to installed
# packages.  A matching compile definition (KT_SANITIZE_ADDRESS=1 or
# KT_SANITIZE_THREAD=1) is added everywhere so code can annotate fiber
# switches (__sanitizer_start_switch_fiber, __tsan_switch_to_fiber, ...).

function(kt_setup_sanitizers)
  set(_san "${KT_SANITIZE}")
  if(_san STREQUAL "")
    return()
  endif()

  if(_san STREQUAL "address")
    set(_flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    set(_link -fsanitize=address,undefined)
    add_compile_definitions(KT_SANITIZE_ADDRESS=1)
  elseif(_san STREQUAL "thread")
    set(_flags -fsanitize=thread -fno-omit-frame-pointer)
    set(_link -fsanitize=thread)
    add_compile_definitions(KT_SANITIZE_THREAD=1)
  else()
    message(FATAL_ERROR
      "KT_SANITIZE must be empty, \"address\" or \"thread\" (got \"${_san}\")")
  endif()

  add_compile_options(${_flags})
  add_link_options(${_link})
  message(STATUS "kthreads: sanitizer '${_san}': ${_flags}")
endfunction()
