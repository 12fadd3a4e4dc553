// The demo kernel: boots on the host's cores and runs a small system of
// kernel threads for a moment, through the native C++ API.
//
//   - a "clock" thread bound to vCPU 0 that ticks every 20 ms and wakes
//     everyone sleeping on its tick channel;
//   - "producer" and "consumer" threads exchanging work through a kt::Mutex
//     and kt::CondVar, at two priorities;
//   - a time-sharing "cruncher" that burns CPU and calls kt::this_thread::preempt();
//   - a "legacy" driver thread that is not MPSAFE, so it runs under the big
//     kernel lock;
//   - a ps listing while they run, then an orderly stop and a shutdown.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "kt/kthreads.hpp"

namespace {

struct System {
  kt::Mutex lock{"queue"};
  kt::CondVar more{"qwait"};
  std::deque<int> queue;  // guarded by lock
  bool stopping = false;  // guarded by lock
  std::atomic<int> ticks{0};
  std::atomic<long> consumed{0};
  std::atomic<long> crunched{0};
  std::atomic<bool> stop{false};
};

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  kt::Kernel kernel;  // ncpu: the host's cores
  printf("kthreads demo: booted %u vCPUs at hz %u\n", kt::Kernel::ncpu(), kt::Kernel::hz());
  System sys;

  std::vector<kt::Thread> threads;
  threads.emplace_back(kt::ThreadOptions{.name = "clock", .priority = KT_PRI_INTR, .cpu = 0}, [&] {
    while (!sys.stop) {
      kt::this_thread::sleep_for(std::chrono::milliseconds(20));
      sys.ticks++;
      kt::wakeup(&sys.ticks);
    }
    kt::wakeup(&sys.ticks);
  });
  for (int p = 0; p < 2; p++)
    threads.emplace_back(kt::ThreadOptions{.name = "producer" + std::to_string(p), .priority = 100},
                         [&, p] {
                           for (int n = 0; !sys.stop; n++) {
                             {
                               std::unique_lock lk(sys.lock);
                               sys.queue.push_back(p * 1000000 + n);
                             }
                             sys.more.notify_one();
                             // Produce a burst per clock tick.
                             if (n % 64 == 63) kt::sleep(&sys.ticks, "tick");
                           }
                         });
  for (int c = 0; c < 3; c++)
    threads.emplace_back(kt::ThreadOptions{.name = "consumer" + std::to_string(c), .priority = 90},
                         [&] {
                           std::unique_lock lk(sys.lock);
                           for (;;) {
                             sys.more.wait(lk, [&] { return !sys.queue.empty() || sys.stopping; });
                             if (sys.queue.empty()) return;
                             sys.queue.pop_front();
                             sys.consumed++;
                           }
                         });
  threads.emplace_back(kt::ThreadOptions{.name = "cruncher", .sched = kt::SchedClass::kTimeShare},
                       [&] {
                         volatile double x = 1;
                         while (!sys.stop) {
                           for (int i = 0; i < 10000; i++) x = x * 1.0000001 + 1e-9;
                           sys.crunched++;
                           kt::this_thread::preempt();
                         }
                       });
  threads.emplace_back(kt::ThreadOptions{.name = "legacy", .mpsafe = false}, [&] {
    // Runs holding the big kernel lock; sleeping gives it up.
    while (!sys.stop) kt::sleep(&sys.ticks, "tick");
  });

  // The host thread plays the operator: look around, then stop the system.
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 2));
  printf("\n-- ps, %d ticks in --\n", sys.ticks.load());
  kt::Kernel::ps(stdout);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 2));

  sys.stop = true;
  {
    std::unique_lock lk(sys.lock);
    sys.stopping = true;
  }
  sys.more.notify_all();
  kt::wakeup(&sys.ticks);
  for (auto& t : threads) t.join();
  printf("\n-- stopped: %d ticks, %ld items consumed, %ld crunches --\n", sys.ticks.load(),
         sys.consumed.load(), sys.crunched.load());
  printf("shutting down\n");
  return 0;
}
