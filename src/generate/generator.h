// generator.h — text generation from a model: the prompt warms the state (warmer.h), then one
// T = 1 forward step per generated symbol for K samples at once, each row decoded by its own
// RowDecoder (decoder.h: the one decoding loop).
//
// Letters: K parallel samples (the batch N of the step net), V vocabulary.
// The nets are built before the first symbol; the per-symbol loop allocates nothing.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "generate/decoder.h"
#include "generate/warmer.h"
#include "nn/model.h"

namespace charrnn {

class Generator {
 public:
  // `params` must outlive the generator.
  Generator(const ModelConfig& c, const float* params, int num_samples);
  ~Generator();

  // Decodes rows[k] (one per sample) from the state `prompt` leaves, one symbol per step for
  // every row still going; emit(k, text) receives what row k can show (returning false stops
  // that row). Ends when every row has finished.
  void generate(const std::vector<int32_t>& prompt, std::vector<RowDecoder>& rows,
                const std::function<bool(int, const std::string&)>& emit = {});

 private:
  ModelConfig cfg_;
  int K_;
  PromptWarmer warmer_;
  std::unique_ptr<Net> step_net_;   // T = 1, N = K
  std::vector<int32_t> x_k_;        // (K) the current input symbol of each sample
  std::vector<float> h_lh_, c_lh_;  // (L, H) the warmed state, copied into every row
  std::string piece_;               // a row's text of this step (reused)
};

}  // namespace charrnn
