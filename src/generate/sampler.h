// sampler.h — picks the next symbol from a row of logits: temperature, top-k, top-p, seeded.
//
// All scratch space is allocated at construction; sample() allocates nothing, so generation
// costs only the forward step per character.
#pragma once

#include <cstdint>
#include <vector>

#include "base/rng.h"

namespace charrnn {

struct SampleConfig {
  float temperature = 1.0f;  // logits are divided by it; 0 means greedy (argmax)
  int top_k = 0;             // keep only the k most likely symbols; 0 keeps all
  float top_p = 1.0f;        // keep the smallest set whose probability reaches p; 1 keeps all
  uint64_t seed = 0;         // the same seed, model and prompt give the same text
};

void validate_sample_config(const SampleConfig& c);  // throws a usage Error

class Sampler {
 public:
  // `banned` (e.g. an unknown-symbol id) is never returned; -1 bans nothing.
  Sampler(int vocab, SampleConfig config, int banned = -1);
  int sample(const float* logits_v);
  int argmax(const float* logits_v) const;

 private:
  int V_;
  SampleConfig cfg_;
  int banned_;
  Rng rng_;
  std::vector<int> idx_v_;     // candidate ids
  std::vector<float> prob_v_;  // their probabilities, indexed by id
};

}  // namespace charrnn
