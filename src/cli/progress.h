// progress.h — how `charrnn train` shows a run's events (charrnn.h's TrainProgress) on stdout: a
// live line on a terminal, periodic plain lines otherwise (logs, CI), nothing but warnings with
// --quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "charrnn/charrnn.h"

namespace charrnn::cli {

class Progress {
 public:
  Progress(std::FILE* out, bool quiet);
  void event(const TrainProgress& e);  // warnings go to stderr, even when quiet
  void step(const TrainProgress& r);   // rate-limited
  void line(const std::string& text);  // always printed unless quiet (ends a live line first)

 private:
  std::FILE* out_;
  bool quiet_, tty_;
  bool live_open_ = false;
  std::chrono::steady_clock::time_point last_;
  double interval_s_;
};

std::string format_duration(double seconds);  // "1:05:03" / "4:07"

}  // namespace charrnn::cli
