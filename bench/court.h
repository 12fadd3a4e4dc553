// Court: two players handing the CPU back and forth through sleep/wakeup,
// each sleeping on its own wait channel until its turn: through the
// one-hold sleep (the turn tested under the channel's lock,
// kt_sleep_unless) by default, or the two-phase one (queue, test, block).
// No wakeup is lost either way. Shared by kt_bench, kt_compare and kt_ops.
#pragma once

#include "kt/c/sleep.h"

namespace ktbench {

struct Court {
  alignas(64) int turn = 0;
  bool two_phase = false;
  alignas(64) char chan[2][64] = {};

  int load_turn() const { return __atomic_load_n(&turn, __ATOMIC_ACQUIRE); }
  static int turn_is_0(void* p) { return static_cast<Court*>(p)->load_turn() == 0; }
  static int turn_is_1(void* p) { return static_cast<Court*>(p)->load_turn() == 1; }

  void await(int me) {
    while (load_turn() != me) {
      if (two_phase) {
        kt_sleep_setup(chan[me], "court", 0);
        kt_sleep_finish(0, load_turn() != me);
      } else {
        kt_sleep_unless(chan[me], "court", 0, 0, me ? turn_is_1 : turn_is_0, this);
      }
    }
  }
  void pass(int me) {
    __atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE);
    kt_wakeup(chan[1 - me]);
  }
};

}  // namespace ktbench
