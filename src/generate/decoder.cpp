// decoder.cpp — one row's decoding: penalties, form, sampling, stop strings (see decoder.h).
#include "generate/decoder.h"

#include <algorithm>
#include <cmath>

namespace charrnn {
namespace {

double log_sum_exp(const float* row, size_t V) {
  float mx = row[0];
  for (size_t v = 1; v < V; ++v) mx = std::max(mx, row[v]);
  double sum = 0;
  for (size_t v = 0; v < V; ++v) sum += std::exp(double(row[v] - mx));
  return double(mx) + std::log(sum);
}

}  // namespace

std::string finish_name(Finish f) {
  switch (f) {
    case Finish::none:
      return "";
    case Finish::length:
      return "length";
    case Finish::stop:
      return "stop";
    case Finish::stopped:
      return "stopped";
  }
  return "";
}

std::vector<int32_t> prompt_start(const std::vector<std::string>& symbols) {
  const auto nl = std::find(symbols.begin(), symbols.end(), "\n");
  return {nl == symbols.end() ? 0 : int32_t(nl - symbols.begin())};
}

RowDecoder::RowDecoder(const SampleOptions& o, const std::vector<std::string>& symbols, int banned,
                       int64_t max_symbols, const std::vector<int32_t>& prompt)
    : symbols_v_(symbols),
      o_(o),
      sampler_(int(symbols.size()), o, banned),
      stop_(o.stop),
      max_symbols_(max_symbols),
      penalties_((o.repetition_penalty != 1.0 || o.frequency_penalty != 0.0 ||
                  o.presence_penalty != 0.0) &&
                 o.penalty_last_n > 0) {
  if (max_symbols < 0) fail_field("length", "must be >= 0, got " + std::to_string(max_symbols));
  for (const std::string& s : o.stop)
    if (s.empty())
      fail_field("stop", "holds an empty string", "give the text that ends the output");
  const FormConfig form{o.form, o.lines, split_code_points(o.acrostic)};
  if (form.active()) form_.emplace_back(form, symbols);
  if (penalties_ || form.active()) row_v_.assign(symbols.size(), 0.f);
  if (penalties_) {
    count_v_.assign(symbols.size(), 0);
    ring_w_.assign(size_t(o.penalty_last_n), -1);
    for (int32_t id : prompt) remember(id);
  }
  if (max_symbols == 0) finish_ = Finish::length;
}

void RowDecoder::remember(int32_t id) {
  if (!penalties_) return;
  int32_t& slot = ring_w_[ring_at_];
  if (slot >= 0) --count_v_[size_t(slot)];
  slot = id;
  ++count_v_[size_t(id)];
  ring_at_ = (ring_at_ + 1) % ring_w_.size();
  ring_fill_ = std::min(ring_fill_ + 1, ring_w_.size());
}

const float* RowDecoder::penalized(const float* logits_v) {
  if (!penalties_ && form_.empty()) return logits_v;
  std::copy(logits_v, logits_v + row_v_.size(), row_v_.begin());
  if (penalties_) {
    // Each symbol of the window once (the first slot that holds it), however often it occurs.
    const float rep = float(o_.repetition_penalty), freq = float(o_.frequency_penalty),
                pres = float(o_.presence_penalty);
    for (size_t w = 0; w < ring_fill_; ++w) {
      const int32_t id = ring_w_[w];
      if (std::find(ring_w_.begin(), ring_w_.begin() + long(w), id) != ring_w_.begin() + long(w))
        continue;
      float& x = row_v_[size_t(id)];
      x = x > 0 ? x / rep : x * rep;
      x -= float(count_v_[size_t(id)]) * freq + pres;
    }
  }
  if (!form_.empty()) form_[0].mask(row_v_.data());
  return row_v_.data();
}

int32_t RowDecoder::next(const float* logits_v, std::string& out) {
  const int32_t id = sampler_.sample(penalized(logits_v));
  nll_ += log_sum_exp(logits_v, symbols_v_.size()) - double(logits_v[id]);
  ++symbols_;
  remember(id);
  if (!form_.empty()) form_[0].advance(id);
  out += stop_.push(symbols_v_[size_t(id)]);
  if (stop_.stopped() || (!form_.empty() && form_[0].done()))
    finish_ = Finish::stop;
  else if (symbols_ >= max_symbols_)
    finish_ = Finish::length;
  return id;
}

}  // namespace charrnn
