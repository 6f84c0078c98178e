// probe.h — the CPU picks its own fastest correct path: at the start of a run, a few steps are
// timed in f32 and in bf16 (where the CPU has AVX512-BF16 or AMX), at the thread counts that
// make sense, and the fastest is taken. bf16 computes with the same f32 master weights, so
// the choice changes the speed, not the model (the equal-tokens check: docs/quality.md).
//
// The timing itself is the caller's (the session times real training steps, so the probe
// costs only the slower candidates' extra time); what is probed and what is chosen is here,
// so that tests can inject timings.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/recurrent_layer.h"

namespace charrnn {

struct ProbeCandidate {
  Dtype dtype = Dtype::f32;
  int threads = 1;
};

struct ProbeTiming {
  ProbeCandidate candidate;
  double step_seconds = 0;  // median of the timed steps
};

struct ProbeResult {
  std::vector<ProbeTiming> timings;  // in the order measured
  ProbeTiming chosen;
  double seconds = 0;  // wall time the probe took
};
nlohmann::json probe_to_json(const ProbeResult& r);

// What to time: the requested dtype, or (automatic) f32 and, where the CPU has bf16, bf16; the
// given thread count, or (0) every core and, with several cores, half of them (a busy machine
// or memory-bound shapes can make fewer threads faster).
std::vector<ProbeCandidate> probe_candidates(Dtype dtype, int threads, bool cpu_bf16, int cores);

// Times each candidate with `time_steps` (seconds per step) and picks the fastest; with one
// candidate nothing is timed. Ties (within 2%) go to the earlier candidate: f32 before bf16,
// more threads before fewer.
ProbeResult run_probe(const std::vector<ProbeCandidate>& candidates,
                      const std::function<double(const ProbeCandidate&)>& time_steps);

}  // namespace charrnn
