// generator.h — text generation from a model: the prompt warms the state in one forward call
// over the whole prompt, then one T=1 forward step per generated symbol.
//
// Letters: K parallel samples (the batch N of the step net), P prompt length, V vocabulary.
// Both nets are built before the first symbol; the per-symbol loop allocates nothing.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "generate/form.h"
#include "generate/sampler.h"
#include "nn/model.h"

namespace charrnn {

class Generator {
 public:
  // `params` must outlive the generator.
  Generator(const ModelConfig& c, const float* params, int num_samples);
  ~Generator();

  // Emits up to `length` symbols per sample through emit(sample, id), in step order; sample k
  // draws from samplers[k] (one each, so that a sample's text does not depend on the others).
  // emit returning false ends that sample; generation ends when all have ended.
  // With `forms` (one per sample), each draws only what its form allows and ends when the
  // form is complete.
  void generate(const std::vector<int32_t>& prompt, int64_t length, std::vector<Sampler>& samplers,
                const std::function<bool(int, int)>& emit,
                std::vector<FormConstraint>* forms = nullptr);

  // Mean -log p(symbol), temperature 1, of the first `symbols` symbols sample k emitted in the
  // last generate() (the model's own surprise at its text).
  double mean_nll(int k, int64_t symbols) const {
    return symbols > 0 ? nll_k_[size_t(k)] / double(symbols) : 0.0;
  }

 private:
  ModelConfig cfg_;
  const float* params_;
  int K_;
  std::unique_ptr<Net> step_net_;  // T = 1, N = K
  std::vector<int32_t> x_k_;       // (K) the current input symbol of each sample
  std::vector<char> live_k_;       // (K) 1 while the sample goes on
  std::vector<float> masked_v_;    // (V) a row of logits with a form's mask applied
  std::vector<double> nll_k_;      // (K) summed -log p of the emitted symbols (temperature 1)
};

}  // namespace charrnn
