// Time. Deadlines are absolute CLOCK_MONOTONIC nanoseconds throughout the
// core; faces convert their ticks at the door.
#pragma once

#include <cstdint>
#include <ctime>

namespace kt {

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// now_coarse_ns() costs a few ns and is a few ms behind at worst: good
// enough for time slices, never for timeouts.
inline uint64_t now_coarse_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

inline constexpr uint64_t kNoDeadline = 0;

}  // namespace kt
