// kt::ps(): the process table, as the ps listing shows it. A snapshot taken
// without stopping anyone: a row may be a moment stale.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kt/c/thread.h"
#include "kt/thread.hpp"

namespace kt {

struct ProcInfo {
  kt_tid_t id = 0;  // the thread's handle
  int pid = 0;
  // The parent: proc0 (pid 0, "swapper", the kernel itself, which owns the
  // one address space they share) for every kernel thread, itself included
  // (the thread that runs the start-up functions is proc0's own, pid 0).
  int ppid = 0;
  std::string name;
  State state = State::kGone;
  std::string wmesg;         // what it sleeps on, while asleep or suspended
  int priority = 0;          // 0..255, lower is more urgent
  int cpu = -1;              // the vCPU it runs on, or last ran or is queued on
  bool bound = false;        // never runs elsewhere
  unsigned flags = 0;        // enum kt_thread_flags
  bool timeshare = false;    // KT_SCHED_TS
  size_t stack_nominal = 0;  // the stack asked for (a face's own size): what ps shows
  size_t stack_size = 0;     // the stack mapped: never smaller, larger under sanitizers
  size_t stack_touched = 0;  // the most of the stack ever touched
};

// ps() lists every kernel thread of the running kernel, by pid.
std::vector<ProcInfo> ps();

}  // namespace kt
