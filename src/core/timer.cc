#include "core/timer.h"

#include "base/assert.h"

namespace kt {

void TimerHeap::insert(KThread* t) {
  KT_ASSERT(t->timer_idx_ < 0);
  heap_.push_back(t);
  place(heap_.size() - 1, t);
  sift_up(heap_.size() - 1);
}

void TimerHeap::remove(KThread* t) {
  const size_t i = size_t(t->timer_idx_);
  KT_ASSERT(i < heap_.size() && heap_[i] == t);
  KThread* last = heap_.back();
  heap_.pop_back();
  t->timer_idx_ = -1;
  if (i == heap_.size()) return;
  place(i, last);
  sift_up(i);
  sift_down(size_t(last->timer_idx_));
}

KThread* TimerHeap::pop_expired(uint64_t now) {
  if (heap_.empty() || heap_[0]->deadline_ > now) return nullptr;
  KThread* t = heap_[0];
  remove(t);
  return t;
}

void TimerHeap::sift_up(size_t i) {
  KThread* t = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline_ <= t->deadline_) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void TimerHeap::sift_down(size_t i) {
  KThread* t = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->deadline_ < heap_[child]->deadline_) child++;
    if (t->deadline_ <= heap_[child]->deadline_) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace kt
