// generator.cpp — prompt warm-up and the per-symbol sampling loop (see generator.h).
#include "generate/generator.h"

#include <algorithm>
#include <cmath>

#include "charrnn/error.h"

namespace charrnn {
namespace {

double log_sum_exp(const float* row, int V) {
  float mx = row[0];
  for (int v = 1; v < V; ++v) mx = std::max(mx, row[v]);
  double sum = 0;
  for (int v = 0; v < V; ++v) sum += std::exp(double(row[v] - mx));
  return double(mx) + std::log(sum);
}

}  // namespace

Generator::Generator(const ModelConfig& c, const float* params, int num_samples)
    : cfg_(c),
      params_(params),
      K_(num_samples),
      x_k_(size_t(num_samples), 0),
      live_k_(size_t(num_samples), 1),
      masked_v_(size_t(c.vocab)),
      nll_k_(size_t(num_samples), 0.0) {
  if (num_samples < 1) fail_field("n", "must be at least 1");
  step_net_ = std::make_unique<Net>(c, 1, K_, Net::Mode::infer, params, nullptr);
}

Generator::~Generator() = default;

void Generator::generate(const std::vector<int32_t>& prompt, int64_t length,
                         std::vector<Sampler>& samplers, const std::function<bool(int, int)>& emit,
                         std::vector<FormConstraint>* forms) {
  if (prompt.empty()) fail_field("prompt", "is empty");
  if (int(samplers.size()) != K_) fail("the generator needs one sampler per sample");
  const int P = int(prompt.size()), V = cfg_.vocab;
  const float* logits_kv;  // logits of the last prompt position, then of each step
  std::unique_ptr<Net> prompt_net;
  if (P > 1) {  // all but the last prompt symbol in one call, every sample the same prompt
    std::vector<int32_t> x_pk(size_t(P - 1) * K_);
    for (int t = 0; t < P - 1; ++t)
      for (int k = 0; k < K_; ++k) x_pk[size_t(t) * K_ + k] = prompt[size_t(t)];
    prompt_net = std::make_unique<Net>(cfg_, P - 1, K_, Net::Mode::infer, params_, nullptr);
    prompt_net->forward(x_pk.data(), nullptr, nullptr);
    step_net_->copy_final_state_from(*prompt_net);
  } else {
    step_net_->reset_state();
  }
  std::fill(x_k_.begin(), x_k_.end(), prompt.back());
  std::fill(live_k_.begin(), live_k_.end(), 1);
  std::fill(nll_k_.begin(), nll_k_.end(), 0.0);
  int live = K_;
  for (int64_t i = 0; i < length && live > 0; ++i) {
    step_net_->forward(x_k_.data(), nullptr, nullptr);
    step_net_->carry_state();
    logits_kv = step_net_->logits();
    for (int k = 0; k < K_; ++k) {
      if (!live_k_[size_t(k)]) continue;
      const float* row = logits_kv + size_t(k) * V;
      const float* drawn_from = row;
      if (forms) {  // the form's mask on a copy: the model's own row stays for nll
        std::copy(row, row + V, masked_v_.begin());
        (*forms)[size_t(k)].mask(masked_v_.data());
        drawn_from = masked_v_.data();
      }
      x_k_[size_t(k)] = samplers[size_t(k)].sample(drawn_from);
      nll_k_[size_t(k)] += log_sum_exp(row, V) - double(row[x_k_[size_t(k)]]);
      if (forms) (*forms)[size_t(k)].advance(x_k_[size_t(k)]);
      if (!emit(k, x_k_[size_t(k)]) || (forms && (*forms)[size_t(k)].done())) {
        live_k_[size_t(k)] = 0;
        --live;
      }
    }
  }
}

}  // namespace charrnn
