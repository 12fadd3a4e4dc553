// kt_compare [--quick] [--go FILE]: runs each operation on kthreads and its
// peers and prints one markdown table, figure by figure, with the ratio
// kthreads/peer (below 1: kthreads is ahead), then the targets of the
// Performance issue, met or missed. FILE holds the Go program's lines
// ("go1 spawn 360.2"); scripts/bench makes it.
#include "compare.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

namespace {

using ktcmp::Figure;
using ktcmp::Opts;

std::map<std::string, double> read_go(const char* path) {
  std::map<std::string, double> go;
  std::ifstream in(path);
  std::string who, op;
  double v;
  while (in >> who >> op >> v) go[who + " " + op] = v;
  return go;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string fmt(double v, const char* unit) {
  char b[64];
  if (v < 0) return "n/a";
  if (unit[0] == 'n' && v >= 10000)
    snprintf(b, sizeof b, "%.1f µs", v / 1000);
  else
    snprintf(b, sizeof b, v < 100 ? "%.1f %s" : "%.0f %s", v, unit);
  return b;
}

void row(const char* op, double kt, const char* peer, double pv, const char* unit,
         const char* note = "") {
  std::string ratio = kt > 0 && pv > 0 ? fmt(kt / pv, "") : "n/a";
  if (kt > 0 && pv > 0) {
    char b[32];
    snprintf(b, sizeof b, "%.2f", kt / pv);
    ratio = b;
  }
  printf("| %s | %s | %s%s | %s | %s |\n", op, fmt(kt, unit).c_str(), peer, note,
         fmt(pv, unit).c_str(), ratio.c_str());
  fflush(stdout);
}

void target(const char* what, bool met, const std::string& figure) {
  printf("- %s: %s (%s)\n", what, met ? "met" : "missed", figure.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Opts o;
  std::map<std::string, double> go;
  bool have_go = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--quick") {
      o.reps = 3;
      o.scale = 10;
    } else if (a == "--go" && i + 1 < argc) {
      go = read_go(argv[++i]);
      have_go = !go.empty();
    } else {
      fprintf(stderr, "usage: %s [--quick] [--go FILE]\n", argv[0]);
      return 2;
    }
  }
  auto g = [&](const char* key) { return go.count(key) ? go[key] : -1.0; };
  const time_t now = time(nullptr);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%d", localtime(&now));
  printf("kthreads compared, %s, %s, %u host cores; medians of %d runs%s%s\n\n", date,
         cpu_model().c_str(), std::thread::hardware_concurrency(), o.reps,
         o.scale > 1 ? " (--quick: shorter loops)" : "", have_go ? "" : "; Go not measured");
  printf("| operation | kthreads | peer | peer figure | kthreads/peer |\n");
  printf("|---|---|---|---|---|\n");

  namespace kt = ktcmp::kthreads;
  const double spawn = kt::spawn(o);
  row("spawn (create+run+exit+join)", spawn, "raw Boost.Context (floor)", ktcmp::context::spawn(o),
      "ns");
  row("spawn", spawn, "Boost.Fiber", ktcmp::fiber::spawn(o), "ns");
  row("spawn", spawn, "std::thread", ktcmp::pthreads::spawn(o), "ns");
  if (have_go) {
    row("spawn", spawn, "Go, GOMAXPROCS 1", g("go1 spawn"), "ns");
    row("spawn", spawn, "Go, GOMAXPROCS 2", g("go2 spawn"), "ns");
  }

  const double batch = kt::spawn_batch(o);
  row("spawn_batch (10,000 blocked, released, joined)", batch, "Boost.Fiber",
      ktcmp::fiber::spawn_batch(o), "ns");
  row("spawn_batch", batch, "std::thread", ktcmp::pthreads::spawn_batch(o), "ns");
  if (have_go) {
    row("spawn_batch", batch, "Go, GOMAXPROCS 1", g("go1 spawn_batch"), "ns");
    row("spawn_batch", batch, "Go, GOMAXPROCS 2", g("go2 spawn_batch"), "ns");
  }

  const double same = kt::pingpong_same(o);
  const double same_cv = kt::pingpong_same_cv(o);
  row("pingpong_same (one-way, sleep/wakeup)", same, "raw Boost.Context (floor)",
      ktcmp::context::pingpong(o), "ns");
  row("pingpong_same", same, "Boost.Fiber mutex+condvar", ktcmp::fiber::pingpong_same(o), "ns");
  row("pingpong_same (kt_mutex+kt_cv)", same_cv, "Boost.Fiber mutex+condvar",
      ktcmp::fiber::pingpong_same(o), "ns");
  row("pingpong_same", same, "std::thread+condvar, one core",
      ktcmp::pthreads::pingpong_cv(o, false), "ns");
  row("pingpong_same", same, "raw futex, one core", ktcmp::pthreads::pingpong_futex(o, false),
      "ns");
  if (have_go) row("pingpong_same", same, "Go channels, GOMAXPROCS 1", g("go1 pingpong"), "ns");

  const double cross = kt::pingpong_cross(o);
  row("pingpong_cross (one-way, vCPU 0 <-> 1)", cross, "Boost.Fiber, two threads",
      ktcmp::fiber::pingpong_cross(o), "ns");
  row("pingpong_cross", cross, "std::thread+condvar, two cores",
      ktcmp::pthreads::pingpong_cv(o, true), "ns");
  row("pingpong_cross", cross, "raw futex, two cores", ktcmp::pthreads::pingpong_futex(o, true),
      "ns");
  if (have_go) row("pingpong_cross", cross, "Go channels, GOMAXPROCS 2", g("go2 pingpong"), "ns");

  const Figure m100k = kt::mem(100000);
  row("mem, 100,000 idle threads", m100k.value, "Boost.Fiber, 100,000",
      ktcmp::fiber::mem(100000).value, "KiB");
  row("mem", m100k.value, "std::thread, 10,000 only", ktcmp::pthreads::mem(10000).value, "KiB");
  if (have_go) row("mem", m100k.value, "Go, 100,000", g("go1 mem100k"), "KiB");
  Figure m1m{-1, "not run (--quick)"};
  if (o.scale == 1) {
    m1m = kt::mem(1000000);
    row("mem, 1,000,000 idle threads", m1m.value, "Go, 1,000,000", g("go1 mem1m"), "KiB",
        m1m.note[0] ? m1m.note : "");
  }

  const double s1 = kt::spawn_throughput(o, 1);
  const double s2 = kt::spawn_throughput(o, 2);
  const double s4 = kt::spawn_throughput(o, 4);
  printf(
      "\nscaling (create+exit+join per second, one spawner per vCPU): ncpu 1 %.2f M/s, "
      "2 %.2f M/s (%.2fx), 4 %.2f M/s (%.2fx)\n",
      s1 / 1e6, s2 / 1e6, s2 / s1, s4 / 1e6, s4 / s1);

  printf("\ntargets:\n");
  target("spawn <= 100 ns", spawn <= 100, fmt(spawn, "ns"));
  target("pingpong_same <= 20 ns", same <= 20, fmt(same, "ns"));
  target("pingpong_cross <= 1 µs", cross <= 1000, fmt(cross, "ns"));
  target("spawn_batch <= 1 µs per thread", batch <= 1000, fmt(batch, "ns"));
  target("mem <= 5 KiB per idle thread (100,000)", m100k.value > 0 && m100k.value <= 5,
         fmt(m100k.value, "KiB"));
  target("1,000,000 threads alive", m1m.value > 0,
         m1m.value > 0 ? fmt(m1m.value, "KiB") : m1m.note);
  char sc[32];
  snprintf(sc, sizeof sc, "%.2fx", s2 / s1);
  target("scaling: 2 vCPUs >= 1.6x of 1", s2 / s1 >= 1.6, sc);
  return 0;
}
