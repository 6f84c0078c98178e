// sampler.cpp — temperature / top-k / top-p sampling without per-call allocation.
#include "generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "charrnn/error.h"

namespace charrnn {

const OptionTable<SampleOptions>& sample_options_table() {
  using S = SampleOptions;
  static const OptionTable<S> table({
      option<S, double>(
          spec("temperature", "Sampling", "softmax temperature (0: greedy)").between(0, 100),
          [](S& s) -> double& { return s.temperature; }),
      option<S, int>(
          spec("top_k", "Sampling", "sample among the k most likely (0: all)").at_least(0),
          [](S& s) -> int& { return s.top_k; }),
      option<S, double>(
          spec("top_p", "Sampling", "nucleus sampling mass (1: off)").between(0, 1).above(0),
          [](S& s) -> double& { return s.top_p; }),
      option<S, uint64_t>(
          spec("seed", "Sampling", "random seed: the same seed gives the same text"),
          [](S& s) -> uint64_t& { return s.seed; }),
      option<S, std::vector<std::string>>(
          spec("stop", "Sampling", "end the text before this string (repeatable)"),
          [](S& s) -> std::vector<std::string>& { return s.stop; }),
      option<S, int>(
          spec("form", "Sampling", "classical poem: 5 or 7 characters a line (，then 。)")
              .between(0, 7),
          [](S& s) -> int& { return s.form; }),
      option<S, int>(spec("lines", "Sampling", "lines of the poem (0: the acrostic's, else 4)")
                         .between(0, 1000),
                     [](S& s) -> int& { return s.lines; }),
      option<S, std::string>(
          spec("acrostic", "Sampling", "藏头诗: line k starts with the k-th character given"),
          [](S& s) -> std::string& { return s.acrostic; }),
      option<S, double>(spec("repetition_penalty", "Sampling",
                             "divide a seen symbol's positive logit by this, multiply a negative "
                             "one (CTRL; 1: off)")
                            .between(0, 10)
                            .above(0),
                        [](S& s) -> double& { return s.repetition_penalty; }),
      option<S, double>(spec("frequency_penalty", "Sampling",
                             "subtract this times a symbol's count in the window (OpenAI; 0: off)")
                            .between(-2, 2),
                        [](S& s) -> double& { return s.frequency_penalty; }),
      option<S, double>(
          spec("presence_penalty", "Sampling",
               "subtract this once from a symbol present in the window (OpenAI; 0: off)")
              .between(-2, 2),
          [](S& s) -> double& { return s.presence_penalty; }),
      option<S, int>(spec("penalty_last_n", "Sampling",
                          "the window of the penalties: the last N symbols, prompt included")
                         .between(0, 1 << 16),
                     [](S& s) -> int& { return s.penalty_last_n; }),
  });
  return table;
}

void validate_sample_config(const SampleConfig& c) {
  sample_options_table().validate(c);
  if (c.form != 0 && c.form != 5 && c.form != 7) fail_field("form", "must be 0, 5 or 7");
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
  if (float(cfg_.temperature) <= 0.0f || cfg_.top_k == 1) return argmax(logits);
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
    prob_v_[size_t(v)] = std::exp((logits[v] - mx) / float(cfg_.temperature));
    total += prob_v_[size_t(v)];
  }
  if (float(cfg_.top_p) < 1.0f) {  // nucleus: most likely first, stop once the mass reaches p
    std::sort(idx_v_.begin(), idx_v_.begin() + n, by_logit);
    double kept = 0.0;
    int keep = 0;
    while (keep < n && kept < float(cfg_.top_p) * total)
      kept += prob_v_[size_t(idx_v_[size_t(keep++)])];
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
