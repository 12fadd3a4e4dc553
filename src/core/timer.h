// TimerHeap: the timeouts of the sleeps begun on one vCPU, a binary min-heap
// on the deadline with each thread's position kept in KThread::timer_idx_, so
// that cancelling a timeout is O(log n).
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread.h"

namespace kt {

class TimerHeap {
 public:
  TimerHeap() { heap_.reserve(256); }

  bool empty() const { return heap_.empty(); }
  uint64_t earliest() const { return heap_.empty() ? 0 : heap_[0]->deadline_; }

  void insert(KThread* t);
  void remove(KThread* t);
  // pop_expired() removes the earliest timer if it is due at now.
  KThread* pop_expired(uint64_t now);

 private:
  void sift_up(size_t i);
  void sift_down(size_t i);
  void place(size_t i, KThread* t) {
    heap_[i] = t;
    t->timer_idx_ = int32_t(i);
  }

  std::vector<KThread*> heap_;
};

}  // namespace kt
