// The one per-host-thread word the core needs: which HostThread this host
// thread is. Kernel threads migrate between host threads at any switch, and
// compilers may keep the address of a thread_local in a register across a
// call (the switch is a call), so the slot is read with a volatile asm load,
// which is re-executed at every use and never reused across a switch.
// x86-64 only: initial-exec TLS through the GOT works in executables and in
// shared libraries alike.
#pragma once

extern "C" __thread void* kt_md_host_slot __attribute__((tls_model("initial-exec")));

namespace kt::md {

inline void* host_slot_load() {
  void* v;
  asm volatile(
      "movq kt_md_host_slot@gottpoff(%%rip), %0\n\t"
      "movq %%fs:(%0), %0"
      : "=r"(v));
  return v;
}

inline void host_slot_store(void* v) { kt_md_host_slot = v; }

}  // namespace kt::md
