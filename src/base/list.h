// Intrusive doubly-linked circular list, as the run queues and sleep queues
// need: O(1) insert and unlink, no allocation.
#pragma once

#include <cstddef>

#include "base/assert.h"

namespace kt {

struct ListNode {
  ListNode* next = nullptr;
  ListNode* prev = nullptr;

  bool linked() const { return next != nullptr; }
};

class List {
 public:
  List() { head_.next = head_.prev = &head_; }
  List(const List&) = delete;
  List& operator=(const List&) = delete;

  bool empty() const { return head_.next == &head_; }
  ListNode* front() const { return empty() ? nullptr : head_.next; }
  ListNode* end() { return &head_; }
  ListNode* begin() const { return head_.next; }

  void push_back(ListNode* n) {
    KT_ASSERT(!n->linked());
    n->prev = head_.prev;
    n->next = &head_;
    head_.prev->next = n;
    head_.prev = n;
  }
  void push_front(ListNode* n) {
    KT_ASSERT(!n->linked());
    n->next = head_.next;
    n->prev = &head_;
    head_.next->prev = n;
    head_.next = n;
  }
  static void remove(ListNode* n) {
    KT_ASSERT(n->linked());
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = nullptr;
  }
  ListNode* pop_front() {
    ListNode* n = front();
    if (n) remove(n);
    return n;
  }

 private:
  ListNode head_;
};

// container_of for intrusive nodes.
template <typename T, ListNode T::*Member>
T* node_owner(ListNode* n) {
  const std::size_t off = reinterpret_cast<std::size_t>(&(static_cast<T*>(nullptr)->*Member));
  return reinterpret_cast<T*>(reinterpret_cast<char*>(n) - off);
}

}  // namespace kt
