// RunQueue: one FIFO per priority level and a bitmap of the non-empty
// levels, in two tiers (a word of which bitmap words are non-empty, as
// Zircon and the Linux O(1) scheduler have it), so push, pop and "who is
// most urgent" cost the same, a few instructions, however many threads or
// levels there are. Lower level = more urgent.
#pragma once

#include <cstdint>

#include "base/list.h"
#include "core/thread.h"

namespace kt {

class RunQueue {
 public:
  static constexpr int kLevels = 256;

  bool empty() const { return count_ == 0; }
  unsigned size() const { return count_; }

  void push_back(KThread* t) {
    q_[t->pri_].push_back(&t->rq_link_);
    mark(t->pri_);
  }
  void push_front(KThread* t) {
    q_[t->pri_].push_front(&t->rq_link_);
    mark(t->pri_);
  }

  // best() is the most urgent level queued, or kLevels when empty.
  int best() const {
    if (!words_) return kLevels;
    const int w = __builtin_ctz(words_);
    return w * 64 + __builtin_ctzll(bits_[w]);
  }

  KThread* pop() {
    const int lvl = best();
    if (lvl == kLevels) return nullptr;
    ListNode* n = q_[lvl].pop_front();
    unmark_if_empty(lvl);
    return node_owner<KThread, &KThread::rq_link_>(n);
  }

  void remove(KThread* t) {
    List::remove(&t->rq_link_);
    unmark_if_empty(t->pri_);
  }

 private:
  void mark(int lvl) {
    bits_[lvl >> 6] |= uint64_t(1) << (lvl & 63);
    words_ |= 1u << (lvl >> 6);
    count_++;
  }
  void unmark_if_empty(int lvl) {
    count_--;
    if (!q_[lvl].empty()) return;
    uint64_t& b = bits_[lvl >> 6];
    b &= ~(uint64_t(1) << (lvl & 63));
    if (!b) words_ &= ~(1u << (lvl >> 6));
  }

  static_assert(kLevels == 4 * 64, "two tiers: four bitmap words");
  unsigned words_ = 0;  // bit w: bits_[w] is not zero
  uint64_t bits_[4] = {};
  unsigned count_ = 0;
  List q_[kLevels];
};

}  // namespace kt
