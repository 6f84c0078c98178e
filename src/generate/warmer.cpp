// warmer.cpp — prompt warm-up by fixed-length chunks (see warmer.h).
#include "generate/warmer.h"

#include <algorithm>

namespace charrnn {
namespace {

constexpr int kChunks[] = {64, 8, 1};  // longest first; every length is a sum of them

}  // namespace

PromptWarmer::PromptWarmer(const ModelConfig& c, const float* params) : L_(c.layers), H_(c.hidden) {
  for (int T : kChunks)
    nets_.push_back(std::make_unique<Net>(c, T, 1, Net::Mode::infer, params, nullptr));
}

PromptWarmer::~PromptWarmer() = default;

void PromptWarmer::sync_weights() {
  for (auto& net : nets_) net->sync_weights();
}

void PromptWarmer::start(const std::vector<int32_t>& prompt) {
  prompt_ = prompt;
  at_ = 0;
  end_ = prompt.size() > 1 ? prompt.size() - 1 : 0;
  last_ = nullptr;
}

bool PromptWarmer::advance() {
  if (at_ >= end_) return true;
  size_t k = 0;
  while (size_t(kChunks[k]) > end_ - at_) ++k;
  Net& net = *nets_[k];
  if (last_)
    net.copy_final_state_from(*last_);
  else
    net.reset_state();
  net.forward(prompt_.data() + at_, nullptr, nullptr);
  net.carry_state();  // initial <- final: what the next chunk starts from
  last_ = &net;
  at_ += size_t(kChunks[k]);
  return at_ >= end_;
}

void PromptWarmer::state(std::vector<float>& h_lh, std::vector<float>& c_lh) const {
  h_lh.assign(size_t(L_) * H_, 0.f);
  c_lh.assign(size_t(L_) * H_, 0.f);
  if (!last_) return;
  for (int l = 0; l < L_; ++l) {
    std::copy_n(last_->initial_h(l).data(), H_, h_lh.data() + size_t(l) * H_);
    if (!last_->initial_c(l).empty())
      std::copy_n(last_->initial_c(l).data(), H_, c_lh.data() + size_t(l) * H_);
  }
}

void PromptWarmer::warm(const std::vector<int32_t>& prompt, std::vector<float>& h_lh,
                        std::vector<float>& c_lh) {
  start(prompt);
  while (!advance()) {
  }
  state(h_lh, c_lh);
}

}  // namespace charrnn
