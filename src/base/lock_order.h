// The lock order of kthreads, outermost first. A lock may be taken while
// holding only locks of a lower number; two locks of one level are never
// held together. Sleeping locks (1, 2) are never taken under a spin lock.
//
//   1. the big kernel lock            core/biglock.cc (sleeping; its word is
//                                      guarded by BigLock::lock, level 3)
//   2. sleeping locks                 kt_mutex (sync/mutex.cc), Plan 9 QLock
//                                      (sync/rendez.cc): what their holders
//                                      may sleep under
//   3. spin locks a waiter holds while it queues its sleep, or a waker while
//      it wakes:
//        KThread::lock_               per-thread life cycle: join, exit,
//                                      suspension, notes, signals
//        BigLock::lock                the big lock's owner word
//        QlockSpin (a kt_qlock's byte) a QLock's owner and waiter list
//        RendezvousTable::lock        Plan 9 rendezvous waiters
//   4. the sleep-queue chain          sync/sleepq.cc, one per hash bucket; the
//                                      only spin lock carried across a switch:
//                                      the thread that blocks holds it until
//                                      the next context releases it in
//                                      finish_switch()
//   5. Vcpu::timer_lock_              the vCPU's timeout heap (armed and
//                                      cancelled under the chain lock)
//   6. Vcpu::runq_lock_               the vCPU's run queues
//
// Leaves, taken with nothing else held and holding nothing else:
//   Table::lock                       core/proctab.cc: descriptor slabs, the
//                                      free pool (slow path)
//   Pool::lock                        md/stack.cc: stack arenas, free slots
//   KernelState::host_lock            core/kernel.h: host threads, the spare
//                                      pool
//   BrokenList::lock                  sync/note.cc: the Broken threads kept
//   sysinit_lock, defer_lock,         core/startup.cc: start-up records, the
//   handler_lock                       deferred queue, shutdown handlers
#pragma once
