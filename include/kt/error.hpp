// kt::Error: what the native API throws for bad input and failed calls.
#pragma once

#include <string>
#include <system_error>

namespace kt {

// Error carries the errno the C ABI returned and a message that names the
// call and what was wrong with it.
class Error : public std::system_error {
 public:
  Error(int code, const std::string& what) : std::system_error(code, std::generic_category(), what) {}
};

// check() throws Error unless rc is 0.
inline void check(int rc, const char* what) {
  if (rc != 0) throw Error(rc, what);
}

}  // namespace kt
