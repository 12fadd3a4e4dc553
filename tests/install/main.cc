// Boots with the native API, starts a thread through each face, and waits
// for all five (and a native one) to have run.
#include <chrono>
#include <cstdio>
#include <kt/kthreads.hpp>
#include <thread>

extern "C" int use_freebsd(int*), use_openbsd(int*), use_netbsd(int*), use_plan9(int*),
    use_aix(int*);

int main() {
  kt::Kernel kernel;
  int ran[6] = {};
  int (*const faces[5])(int*) = {use_freebsd, use_openbsd, use_netbsd, use_plan9, use_aix};
  for (int i = 0; i < 5; i++)
    if (const int e = faces[i](&ran[i])) {
      std::printf("face %d: error %d\n", i, e);
      return 1;
    }
  kt::Thread native({.name = "native"}, [&] { __atomic_store_n(&ran[5], 1, __ATOMIC_RELEASE); });
  native.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int i = 0; i < 6; i++)
    while (!__atomic_load_n(&ran[i], __ATOMIC_ACQUIRE)) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::printf("thread %d never ran\n", i);
        return 1;
      }
      std::this_thread::yield();
    }
  std::printf("all five faces and the native API ran\n");
  return 0;
}
