// The host's futex, the one primitive an idle vCPU or a waiting host thread
// blocks in.
#pragma once

#include <atomic>
#include <cstdint>

namespace kt {

// futex_wait() blocks while *word == expected, until woken or until the
// absolute CLOCK_MONOTONIC deadline (ns; 0 = none). Spurious returns happen.
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint64_t deadline_ns);
void futex_wake(std::atomic<uint32_t>* word, int count);

}  // namespace kt
