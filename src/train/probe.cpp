// probe.cpp — candidates and choice of the start-of-run speed probe (see probe.h).
#include "train/probe.h"

#include <chrono>

namespace charrnn {

nlohmann::json probe_to_json(const ProbeResult& r) {
  nlohmann::json timings = nlohmann::json::array();
  for (const ProbeTiming& t : r.timings)
    timings.push_back({{"dtype", dtype_name(t.candidate.dtype)},
                       {"threads", t.candidate.threads},
                       {"step_seconds", t.step_seconds}});
  return {
      {"timings", timings},
      {"chosen",
       {{"dtype", dtype_name(r.chosen.candidate.dtype)}, {"threads", r.chosen.candidate.threads}}},
      {"seconds", r.seconds}};
}

std::vector<ProbeCandidate> probe_candidates(Dtype dtype, int threads, bool cpu_bf16, int cores) {
  std::vector<Dtype> dtypes;
  if (dtype == Dtype::automatic) {
    dtypes.push_back(Dtype::f32);
    if (cpu_bf16) dtypes.push_back(Dtype::bf16);
  } else {
    dtypes.push_back(dtype == Dtype::bf16 && !cpu_bf16 ? Dtype::f32 : dtype);
  }
  std::vector<int> counts;
  if (threads > 0) {
    counts.push_back(threads);
  } else {
    counts.push_back(cores);
    if (cores > 1) counts.push_back(cores / 2);
  }
  std::vector<ProbeCandidate> out;
  for (int n : counts)
    for (Dtype d : dtypes) out.push_back({d, n});
  return out;
}

ProbeResult run_probe(const std::vector<ProbeCandidate>& candidates,
                      const std::function<double(const ProbeCandidate&)>& time_steps) {
  const auto t0 = std::chrono::steady_clock::now();
  ProbeResult r;
  if (candidates.size() == 1) {
    r.chosen = {candidates[0], 0.0};
    return r;
  }
  for (const ProbeCandidate& c : candidates) {
    r.timings.push_back({c, time_steps(c)});
    if (r.timings.size() == 1 || r.timings.back().step_seconds < 0.98 * r.chosen.step_seconds)
      r.chosen = r.timings.back();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace charrnn
