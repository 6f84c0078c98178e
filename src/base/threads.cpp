// threads.cpp — the automatic thread count (see threads.h).
#include "base/threads.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
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

}  // namespace

int busy_cores(int window_ms) {
  uint64_t busy0 = 0, total0 = 0, busy1 = 0, total1 = 0;
  if (!read_cpu_ticks(busy0, total0)) return 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms));
  if (!read_cpu_ticks(busy1, total1) || total1 <= total0) return 0;
  const double fraction = double(busy1 - busy0) / double(total1 - total0);
  const int cores = int(std::thread::hardware_concurrency());
  return std::clamp(int(std::lround(fraction * cores)), 0, cores);
}

int choose_threads(int requested, Workload w, int cores, int busy) {
  if (requested > 0) return requested;
  if (w == Workload::train) return std::max(1, cores);
  return std::max(1, cores - busy);
}

}  // namespace charrnn
