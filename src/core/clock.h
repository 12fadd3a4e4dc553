// The clock: the kernel's hardclock, on a host thread of its own.
//
// Kernel threads give up their vCPU only at preemption points, so what the
// clock does each tick is to decide, for every vCPU that is running a
// thread, whether that thread should:
//   1. round robin: the same thread has run a whole slice (slice_ticks
//      ticks without a switch), so the vCPU is asked to reschedule
//      (need_resched_, with slice_up_ for the time sharing class's CPU
//      accounting, which the thread does as it yields to any equal);
//   2. timeouts: the vCPU's due timeouts are ended here, since a vCPU looks
//      at its own only when it switches or idles, and a thread that never
//      sleeps would otherwise hold every timeout begun on its vCPU.
// It is tickless: once every vCPU is parked it parks too, and the first vCPU
// to come out of its park wakes it. An idle kernel takes no CPU.
#pragma once

namespace kt {

struct KernelState;
struct Vcpu;

// clock_start() starts the clock of a booting kernel; false when the host
// refuses a thread. clock_stop() stops it (after kernel->stopping is set).
bool clock_start(KernelState* k);
void clock_stop(KernelState* k);

// clock_unpark() is called by a vCPU that comes out of its park: the clock
// may be parked too, and is needed again. Cheap when it is not parked.
void clock_unpark(KernelState* k);

}  // namespace kt
