// The ps listing.
#include "core/ps.h"

#include <algorithm>
#include <cstdio>

#include "base/racy.h"
#include "core/kernel.h"
#include "md/stack.h"

namespace kt {

std::vector<PsRow> ps_rows() {
  std::vector<PsRow> out;
  KT_RACY_READS_BEGIN();
  proctab::for_each([&](KThread* t) {
    PsRow p;
    p.tid = t->tid();
    p.pid = t->pid_;
    memcpy(p.name, t->name_, sizeof p.name);
    p.state = t->state_.load(std::memory_order_acquire);
    const char* w = t->wmesg_.load(std::memory_order_relaxed);
    if (w && (p.state == ThreadState::kSleeping || p.state == ThreadState::kSuspended))
      snprintf(p.wmesg, sizeof p.wmesg, "%s", w);
    p.pri = t->pri_;
    Vcpu* v = t->vcpu_.load(std::memory_order_relaxed);
    p.vcpu = v ? int(v->id) : -1;
    p.bound = t->bound_ != nullptr;
    p.flags = t->flags_;
    p.sched = t->sched_;
    p.stack_nominal = t->stack_nominal_;
    p.stack_size = t->stack_.size;
    p.stack_touched = p.state == ThreadState::kZombie ? 0 : md::stack_touched(t->stack_);
    out.push_back(p);
  });
  KT_RACY_READS_END();
  std::sort(out.begin(), out.end(), [](const PsRow& a, const PsRow& b) { return a.pid < b.pid; });
  return out;
}

void ps_print(FILE* out) {
  fprintf(out, "%6s %-19s %-9s %-8s %4s %4s %-6s %8s %8s %8s\n", "PID", "NAME", "STATE", "WCHAN",
          "PRI", "CPU", "FLAGS", "STACK", "MAPPED", "TOUCHED");
  for (const PsRow& p : ps_rows()) {
    char flags[8];
    int n = 0;
    if (p.flags & KT_MPSAFE) flags[n++] = 'M';
    if (p.flags & KT_INTR) flags[n++] = 'I';
    if (p.flags & KT_JOINABLE) flags[n++] = 'J';
    if (p.bound) flags[n++] = 'B';
    if (p.sched == KT_SCHED_TS) flags[n++] = 'T';
    if (n == 0) flags[n++] = '-';
    flags[n] = '\0';
    char cpu[12];
    if (p.vcpu >= 0)
      snprintf(cpu, sizeof cpu, "%d", p.vcpu);
    else
      snprintf(cpu, sizeof cpu, "-");
    // Names are printed whole (a face keeps up to 31 characters): a long one
    // pushes the rest of its row, which is better than cutting it.
    fprintf(out, "%6d %-19s %-9s %-8.8s %4d %4s %-6s %7zuK %7zuK %7zuK\n", p.pid, p.name,
            to_string(p.state), p.wmesg[0] ? p.wmesg : "-", p.pri, cpu, flags,
            p.stack_nominal / 1024, p.stack_size / 1024, p.stack_touched / 1024);
  }
}

}  // namespace kt

extern "C" void kt_ps(FILE* out) { kt::ps_print(out ? out : stdout); }
