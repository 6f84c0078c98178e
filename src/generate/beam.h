// beam.h — beam search over symbols: the `width` most likely continuations of a prompt, kept
// step by step, and the most likely one of `length` symbols at the end (sum of log p under the
// model at temperature 1). Deterministic: no temperature, top-k, top-p or seed.
//
// Letters: K beams (the batch N of the step net), V vocabulary, L layers, H hidden.
// A beam is a row of a K-row step net; after each step the K best (beam, symbol) extensions
// are kept, and each kept row takes the state of the beam it extends. When the beam holds every
// sequence (width >= V^length), the result is the exhaustive search's.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/model.h"

namespace charrnn {

struct BeamResult {
  std::vector<int32_t> ids;  // `length` symbols
  double log_prob = 0;       // their summed log p under the model
};

// `banned` (<unk>) is never chosen; -1 bans nothing. `params` must outlive the call.
BeamResult beam_search_ids(const ModelConfig& c, const float* params,
                           const std::vector<int32_t>& prompt, int64_t length, int width,
                           int banned = -1);

}  // namespace charrnn
