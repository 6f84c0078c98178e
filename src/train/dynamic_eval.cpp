// dynamic_eval.cpp — dynamic evaluation (see dynamic_eval.h): score a segment, take an
// RMS-normalised gradient step on it with a decay towards the trained weights, carry the state.
//
// Letters: P parameter count, S segment length.
#include "train/dynamic_eval.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "charrnn/error.h"

namespace charrnn {
namespace {

// rms_p = sqrt(ms_p); rate_p = min(1, decay * rms_p / mean(rms)).
void rms_and_rates(const std::vector<float>& ms_p, double decay, std::vector<float>& rms_p,
                   std::vector<float>& rate_p) {
  const size_t P = ms_p.size();
  double sum = 0;
#pragma omp parallel for simd reduction(+ : sum) schedule(static)
  for (size_t p = 0; p < P; ++p) {
    rms_p[p] = std::sqrt(ms_p[p]);
    sum += double(rms_p[p]);
  }
  const double mean = sum / double(P);
  const float scale = mean > 0 ? float(decay / mean) : 0.f;
#pragma omp parallel for simd schedule(static)
  for (size_t p = 0; p < P; ++p) rate_p[p] = std::min(1.f, scale * rms_p[p]);
}

// ms_p <- the mean of the squared gradients of `seen` segments, this one included.
void running_mean_squares(std::vector<float>& ms_p, const std::vector<float>& grads_p,
                          int64_t seen) {
  const float keep = float(seen - 1) / float(seen), add = 1.f / float(seen);
  const size_t P = ms_p.size();
#pragma omp parallel for simd schedule(static)
  for (size_t p = 0; p < P; ++p) ms_p[p] = keep * ms_p[p] + add * grads_p[p] * grads_p[p];
}

}  // namespace

void validate_dynamic_eval_config(const DynamicEvalConfig& d) {
  if (d.segment < 1 || d.segment > 100000)
    fail_field("segment", "must be between 1 and 100000, got " + std::to_string(d.segment));
  if (!(d.step >= 0) || !std::isfinite(d.step))
    fail_field("step", "must be a finite number >= 0, got " + std::to_string(d.step));
  if (!(d.decay >= 0) || !std::isfinite(d.decay))
    fail_field("decay", "must be a finite number >= 0, got " + std::to_string(d.decay));
  if (!(d.eps > 0)) fail_field("eps", "must be > 0");
}

std::vector<float> adam_mean_squares(const std::vector<float>& v_p, int64_t steps, double beta2) {
  const double correction = steps > 0 ? 1.0 - std::pow(beta2, double(steps)) : 1.0;
  std::vector<float> ms_p(v_p.size());
  for (size_t p = 0; p < v_p.size(); ++p) ms_p[p] = float(double(v_p[p]) / correction);
  return ms_p;
}

DynamicEvalResult dynamic_evaluate(const ModelConfig& model, const std::vector<float>& params_p,
                                   const std::vector<float>& ms_p, const int32_t* ids, size_t n,
                                   const DynamicEvalConfig& config, std::vector<float>* adapted_p) {
  validate_dynamic_eval_config(config);
  const size_t P = params_p.size();
  if (P != parameter_count(model)) fail("dynamic evaluation: the parameters do not fit the model");
  if (!ms_p.empty() && ms_p.size() != P)
    fail("dynamic evaluation: the mean squared gradients do not fit the model");
  ModelConfig c = model;
  c.dropout = c.output_dropout = c.weight_drop = 0;
  const int S = config.segment;
  DynamicEvalResult r;
  r.adam_ms = !ms_p.empty();
  std::vector<float> theta_p(params_p), grads_p(P), rms_p(P), rate_p(P), ms_run_p;
  if (r.adam_ms)
    rms_and_rates(ms_p, config.decay, rms_p, rate_p);
  else
    ms_run_p.assign(P, 0.f);
  Net net(c, S, 1, Net::Mode::train, theta_p.data(), grads_p.data());
  std::vector<int32_t> x_t(static_cast<size_t>(S)), y_t(x_t.size());  // (S) one stream
  const float step = float(config.step), eps = float(config.eps);
  int64_t segments = 0;
  for (size_t at = 0; at + 1 < n; at += size_t(S)) {
    const size_t len = std::min(size_t(S), n - 1 - at);
    for (size_t t = 0; t < size_t(S); ++t) {  // a short last segment: padding is not scored
      x_t[t] = t < len ? ids[at + t] : 0;
      y_t[t] = t < len ? ids[at + t + 1] : -1;
    }
    int64_t count = 0;
    r.nats += net.forward(x_t.data(), y_t.data(), &count);
    r.count += count;
    if (at + len + 1 >= n && !adapted_p) break;  // scored: nothing is left to adapt to
    std::fill(grads_p.begin(), grads_p.end(), 0.f);
    net.backward();
    net.carry_state();
    if (!r.adam_ms) {
      running_mean_squares(ms_run_p, grads_p, ++segments);
      rms_and_rates(ms_run_p, config.decay, rms_p, rate_p);
    }
#pragma omp parallel for simd schedule(static)
    for (size_t p = 0; p < P; ++p)
      theta_p[p] += -step * grads_p[p] / (rms_p[p] + eps) + rate_p[p] * (params_p[p] - theta_p[p]);
    net.sync_weights();
  }
  if (adapted_p) *adapted_p = std::move(theta_p);
  return r;
}

}  // namespace charrnn
