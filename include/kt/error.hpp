// kt::Error: what the native API throws for bad input and failed calls.
#pragma once

#include <string>
#include <system_error>

namespace kt {

// Error carries the errno the C ABI returned and a message that names the
// call and what was wrong with it.
class Error : public std::system_error {
 public:
  Error(int code, const std::string& what)
      : std::system_error(code, std::generic_category(), what) {}
};

// Interrupted is thrown out of an interruptible wait of the native API when
// the thread is interrupted: by a note (its text is note()), a signal, or
// kt_interrupt (note() is then "interrupted"). It is not an Error: catching
// it is how a kernel thread handles a note, the C++ form of Plan 9's
// waserror(). It carries the note's flag (KT_NOTE_USER, _EXIT, _DEBUG).
class Interrupted : public std::exception {
 public:
  explicit Interrupted(std::string note = "interrupted", int flag = 0)
      : note_(std::move(note)), flag_(flag) {}
  const char* what() const noexcept override { return note_.c_str(); }
  const std::string& note() const { return note_; }
  int flag() const { return flag_; }

 private:
  std::string note_;
  int flag_;
};

// check() throws Error unless rc is 0.
inline void check(int rc, const char* what) {
  if (rc != 0) throw Error(rc, what);
}

}  // namespace kt
