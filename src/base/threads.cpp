// threads.cpp — the automatic thread count (see threads.h).
#include "base/threads.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace charrnn {
namespace {

// The first line of /proc/stat: "cpu  user nice system idle iowait irq softirq steal ...",
// in clock ticks summed over all cores. Returns false where it cannot be read.
bool read_cpu_ticks(uint64_t& busy, uint64_t& total) {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      cpu != "cpu")
    return false;
  busy = user + nice + system + irq + softirq + steal;
  total = busy + idle + iowait;
  return true;
}

// This process's CPU time in clock ticks: utime + stime, fields 14 and 15 of /proc/self/stat
// (after the parenthesized command name, which may hold spaces).
uint64_t own_ticks() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return utime + stime;
}

int busy_fraction_cores(int window_ms, bool exclude_self) {
  uint64_t busy0 = 0, total0 = 0, busy1 = 0, total1 = 0;
  if (!read_cpu_ticks(busy0, total0)) return 0;
  const uint64_t own0 = exclude_self ? own_ticks() : 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms));
  if (!read_cpu_ticks(busy1, total1) || total1 <= total0) return 0;
  const uint64_t own = exclude_self ? own_ticks() - own0 : 0;
  const uint64_t busy = busy1 - busy0 > own ? busy1 - busy0 - own : 0;
  const double fraction = double(busy) / double(total1 - total0);
  const int cores = int(std::thread::hardware_concurrency());
  return std::clamp(int(std::lround(fraction * cores)), 0, cores);
}

}  // namespace

int other_busy_cores(int window_ms) {
  return busy_fraction_cores(window_ms, true);
}

int busy_cores(int window_ms) {
  return busy_fraction_cores(window_ms, false);
}

int choose_threads(int requested, Workload w, int cores, int busy) {
  if (requested > 0) return requested;
  if (w == Workload::train) return std::max(1, cores);
  return std::max(1, cores - busy);
}

}  // namespace charrnn
