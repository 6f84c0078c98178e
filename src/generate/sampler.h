// sampler.h — picks the next symbol from a row of logits: temperature, top-k, top-p, seeded.
//
// All scratch space is allocated at construction; sample() allocates nothing, so generation
// costs only the forward step per character.
#pragma once

#include <cstdint>
#include <vector>

#include "base/options.h"
#include "base/rng.h"
#include "charrnn/sample_options.h"

namespace charrnn {

// The public struct (charrnn/sample_options.h) is the configuration: temperature, top_k, top_p
// and seed are the sampler's; stop strings, forms and penalties belong to decoder.h.
using SampleConfig = SampleOptions;

// The table of the sampling settings (base/options.h): the flags of charrnn generate, the
// fields of a completion request, and validation by field.
const OptionTable<SampleOptions>& sample_options_table();
void validate_sample_config(const SampleConfig& c);  // throws a usage Error naming the field

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
