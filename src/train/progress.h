// progress.h — training progress on stdout: a live line on a terminal, periodic plain lines
// otherwise (logs, CI), and nothing but errors with --quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace charrnn {

struct StepReport {
  int64_t step, total_steps;  // total_steps 0 when the run is bounded by time only
  double epoch;
  double loss;                // mean training loss since the last report, nats/symbol
  double tokens_per_s;
  double seconds;             // elapsed, evaluation included
  double eta_seconds;         // < 0 when unknown
  double last_val;            // NaN before the first evaluation
};

class Progress {
 public:
  Progress(std::FILE* out, bool quiet);
  void step(const StepReport& r);  // rate-limited
  void line(const std::string& text);  // always printed unless quiet (ends a live line first)

 private:
  std::FILE* out_;
  bool quiet_, tty_;
  bool live_open_ = false;
  std::chrono::steady_clock::time_point last_;
  double interval_s_;
};

std::string format_duration(double seconds);  // "1:05:03" / "4:07"

}  // namespace charrnn
