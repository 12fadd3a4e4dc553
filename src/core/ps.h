// Introspection: a snapshot of the process table, as ps shows it.
#pragma once

#include <cstdio>
#include <cstring>
#include <vector>

#include "core/thread.h"

namespace kt {

struct PsRow {
  kt_tid_t tid = 0;
  int pid = 0;
  char name[KT_MAXCOMLEN + 1] = {};
  ThreadState state = ThreadState::kFree;
  char wmesg[16] = {};
  int pri = 0;
  int vcpu = -1;
  bool bound = false;
  unsigned flags = 0;
  int sched = 0;
  size_t stack_nominal = 0;  // what the thread asked for (its face's size)
  size_t stack_size = 0;     // what is mapped
  size_t stack_touched = 0;
};

std::vector<PsRow> ps_rows();
void ps_print(FILE* out);

}  // namespace kt
