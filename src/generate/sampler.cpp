// sampler.cpp — temperature / top-k / top-p sampling without per-call allocation.
#include "generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "charrnn/error.h"

namespace charrnn {

void validate_sample_config(const SampleConfig& c) {
  if (!(c.temperature >= 0.0f) || c.temperature > 100.0f)
    fail_field("temperature", "must be between 0 and 100, got " + std::to_string(c.temperature),
               "use 0 for greedy decoding, about 0.5-1.0 for sampling");
  if (c.top_k < 0)
    fail_field("top_k", "must be 0 (off) or positive, got " + std::to_string(c.top_k));
  if (!(c.top_p > 0.0f && c.top_p <= 1.0f))
    fail_field("top_p", "must be in (0, 1], got " + std::to_string(c.top_p), "1 turns it off");
}

Sampler::Sampler(int vocab, SampleConfig config, int banned)
    : V_(vocab),
      cfg_(config),
      banned_(banned),
      rng_(config.seed),
      idx_v_(size_t(vocab)),
      prob_v_(size_t(vocab)) {
  validate_sample_config(config);
}

int Sampler::argmax(const float* logits) const {
  int best = banned_ == 0 ? 1 : 0;
  for (int v = 0; v < V_; ++v)
    if (v != banned_ && logits[v] > logits[best]) best = v;
  return best;
}

int Sampler::sample(const float* logits) {
  if (cfg_.temperature <= 0.0f || cfg_.top_k == 1) return argmax(logits);
  int n = 0;
  for (int v = 0; v < V_; ++v)
    if (v != banned_) idx_v_[size_t(n++)] = v;
  auto by_logit = [logits](int a, int b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  if (cfg_.top_k > 0 && cfg_.top_k < n) {
    std::nth_element(idx_v_.begin(), idx_v_.begin() + cfg_.top_k, idx_v_.begin() + n, by_logit);
    n = cfg_.top_k;
  }
  float mx = logits[idx_v_[0]];
  for (int i = 1; i < n; ++i) mx = std::max(mx, logits[idx_v_[size_t(i)]]);
  double total = 0.0;
  for (int i = 0; i < n; ++i) {
    int v = idx_v_[size_t(i)];
    prob_v_[size_t(v)] = std::exp((logits[v] - mx) / cfg_.temperature);
    total += prob_v_[size_t(v)];
  }
  if (cfg_.top_p < 1.0f) {  // nucleus: most likely first, stop once the mass reaches p
    std::sort(idx_v_.begin(), idx_v_.begin() + n, by_logit);
    double kept = 0.0;
    int keep = 0;
    while (keep < n && kept < cfg_.top_p * total) kept += prob_v_[size_t(idx_v_[size_t(keep++)])];
    n = std::max(keep, 1);
    total = kept;
  }
  double u = rng_.uniform() * total;
  for (int i = 0; i < n; ++i) {
    u -= prob_v_[size_t(idx_v_[size_t(i)])];
    if (u < 0) return idx_v_[size_t(i)];
  }
  return idx_v_[size_t(n - 1)];  // rounding left a sliver: the last candidate takes it
}

}  // namespace charrnn
