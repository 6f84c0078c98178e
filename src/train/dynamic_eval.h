// dynamic_eval.h — dynamic evaluation (Krause et al. 2018, "Dynamic Evaluation of Neural
// Sequence Models"): the text is scored segment by segment, and after each segment has been
// scored the weights take a gradient step on it, so the model adapts to the text as it reads.
//
// Letters: P parameter count, S segment length.
//
// The update is the paper's RMS rule with a decay back towards the trained weights θ0:
//
//   θ_p <- θ_p - step * g_p / (rms_p + eps) + r_p * (θ0_p - θ_p),
//   r_p  = min(1, decay * rms_p / mean(rms)),
//
// g the gradient of the segment's mean loss (truncated at the segment's start, as in
// training), rms_p = sqrt(ms_p) the root mean squared gradient. The hidden state is carried
// from segment to segment. ms comes from training (Adam's bias-corrected second moments) or,
// when the checkpoint has none, from the text itself: the running mean of the squared
// gradients of the segments scored so far (so a segment never influences its own score).
#pragma once

#include <cstdint>
#include <vector>

#include "nn/model.h"

namespace charrnn {

struct DynamicEvalConfig {
  int segment = 20;     // S: symbols scored between two updates
  double step = 3e-5;   // the RMS-normalised step size (η)
  double decay = 1e-3;  // the pull back towards the trained weights (λ)
  double eps = 1e-8;    // added to rms_p (Adam's eps)
};

void validate_dynamic_eval_config(const DynamicEvalConfig& d);  // throws a field Error

struct DynamicEvalResult {
  double nats = 0;       // summed cross-entropy of every scored symbol
  int64_t count = 0;     // symbols scored (all but the first)
  bool adam_ms = false;  // ms came from training's Adam moments (else from the text)
};

// Scores ids[0..n) (every symbol after the first). `params_p` (P) are the trained weights;
// `ms_p` (P) the mean squared gradients, or empty to estimate them from the text. Dropout of
// every kind is off: dynamic evaluation adapts the evaluated model, not the training one.
// `adapted_p`, when given, receives the weights after the last segment, which then takes its
// step too (generate --adapt: a model adapted to its prompt).
DynamicEvalResult dynamic_evaluate(const ModelConfig& model, const std::vector<float>& params_p,
                                   const std::vector<float>& ms_p, const int32_t* ids, size_t n,
                                   const DynamicEvalConfig& config,
                                   std::vector<float>* adapted_p = nullptr);

// Adam's second moments as mean squared gradients: v / (1 - beta2^steps).
std::vector<float> adam_mean_squares(const std::vector<float>& v_p, int64_t steps, double beta2);

}  // namespace charrnn
