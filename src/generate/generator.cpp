// generator.cpp — prompt warm-up and the per-symbol loop over K rows (see generator.h).
#include "generate/generator.h"

#include <algorithm>

#include "charrnn/error.h"

namespace charrnn {

Generator::Generator(const ModelConfig& c, const float* params, int num_samples)
    : cfg_(c), K_(num_samples), warmer_(c, params), x_k_(size_t(std::max(1, num_samples)), 0) {
  if (num_samples < 1) fail_field("n", "must be at least 1");
  step_net_ = std::make_unique<Net>(c, 1, K_, Net::Mode::infer, params, nullptr);
  piece_.reserve(64);
}

Generator::~Generator() = default;

void Generator::generate(const std::vector<int32_t>& prompt, std::vector<RowDecoder>& rows,
                         const std::function<bool(int, const std::string&)>& emit) {
  if (prompt.empty()) fail_field("prompt", "is empty");
  if (int(rows.size()) != K_) fail("internal: the generator needs one decoder per sample");
  warmer_.warm(prompt, h_lh_, c_lh_);
  const int L = cfg_.layers, H = cfg_.hidden, V = cfg_.vocab;
  for (int l = 0; l < L; ++l)
    for (int k = 0; k < K_; ++k) {
      std::copy_n(h_lh_.data() + size_t(l) * H, H, step_net_->initial_h(l).data() + size_t(k) * H);
      if (!step_net_->initial_c(l).empty())
        std::copy_n(c_lh_.data() + size_t(l) * H, H,
                    step_net_->initial_c(l).data() + size_t(k) * H);
    }
  std::fill(x_k_.begin(), x_k_.end(), prompt.back());
  int live = 0;
  for (const RowDecoder& r : rows) live += r.finished() == Finish::none;
  while (live > 0) {
    step_net_->forward(x_k_.data(), nullptr, nullptr);
    step_net_->carry_state();
    const float* logits_kv = step_net_->logits();
    for (int k = 0; k < K_; ++k) {
      RowDecoder& row = rows[size_t(k)];
      if (row.finished() != Finish::none) continue;
      piece_.clear();
      x_k_[size_t(k)] = row.next(logits_kv + size_t(k) * V, piece_);
      if (!piece_.empty() && emit && !emit(k, piece_)) row.stop();
      if (row.finished() != Finish::none) --live;
    }
  }
}

}  // namespace charrnn
