// The lock order of kthreads, outermost first. A lock may be taken while
// holding only locks above it in this list.
//
//   1. big kernel lock (a sleeping lock: never taken under a spin lock)
//   2. kernel-wide sleeping locks (kt::Mutex, ...)
//   3. KThread::lock_       per-thread life-cycle state (join, suspend, notes)
//   4. sleep-queue chain   one per hash bucket of wait channels
//   5. Vcpu::timer_lock_   the vCPU's timeout heap
//   6. Vcpu::runq_lock_    the vCPU's run queues (leaf)
//   7. ProcTable::lock_    descriptor slabs and the free pool (leaf, slow path)
//
// Two locks of the same level are never held together. A chain lock is the
// only spin lock carried across a context switch: the thread that blocks
// holds it until the next context releases it in finish_switch().
#pragma once
