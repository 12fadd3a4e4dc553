// kt::Mutex and kt::CondVar: sleeping locks for kernel threads (and host
// threads), with the standard Lockable interface so std::unique_lock and
// std::scoped_lock work.
#pragma once

#include <chrono>
#include <mutex>

#include "kt/c/sleep.h"
#include "kt/c/sync.h"
#include "kt/sleep.hpp"

namespace kt {

class Mutex {
 public:
  explicit Mutex(const char* name = "mutex") { kt_mutex_init(&m_, name); }
  ~Mutex() { kt_mutex_destroy(&m_); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() { kt_mutex_lock(&m_); }  // may sleep
  bool try_lock() { return kt_mutex_trylock(&m_) != 0; }
  void unlock() { kt_mutex_unlock(&m_); }  // panics unless held by the caller
  bool owned() const { return kt_mutex_owned(&m_) != 0; }

  kt_mutex* native() { return &m_; }

 private:
  kt_mutex m_;
};

class CondVar {
 public:
  explicit CondVar(const char* wmesg = "cv") { kt_cv_init(&cv_, wmesg); }
  ~CondVar() { kt_cv_destroy(&cv_); }
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // wait() releases lk's mutex, sleeps until signalled, and re-locks it.
  // Spurious returns happen: wait in a loop, or use the predicate form.
  void wait(std::unique_lock<Mutex>& lk) { kt_cv_wait(&cv_, lk.mutex()->native(), 0, 0); }
  template <typename Pred>
  void wait(std::unique_lock<Mutex>& lk, Pred pred) {
    while (!pred()) wait(lk);
  }
  // wait_for() returns kTimedOut when the timeout passed first.
  Wake wait_for(std::unique_lock<Mutex>& lk, std::chrono::nanoseconds d,
                Interruptible intr = Interruptible::kNo) {
    return detail::to_wake(kt_cv_wait(&cv_, lk.mutex()->native(),
                                      intr == Interruptible::kYes ? KT_SLEEP_INTR : 0,
                                      d.count() <= 0 ? 1 : uint64_t(d.count())));
  }

  void notify_one() { kt_cv_signal(&cv_); }
  void notify_all() { kt_cv_broadcast(&cv_); }
  bool has_waiters() const { return kt_cv_has_waiters(&cv_) != 0; }

 private:
  kt_cv cv_;
};

}  // namespace kt
