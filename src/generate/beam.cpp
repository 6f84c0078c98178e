// beam.cpp — beam search (see beam.h).
#include "generate/beam.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "charrnn/error.h"
#include "generate/warmer.h"

namespace charrnn {
namespace {

// Row-wise log-softmax of logits_kv into logp_kv.
void log_softmax(const float* logits_kv, int K, int V, std::vector<double>& logp_kv) {
  for (int k = 0; k < K; ++k) {
    const float* row = logits_kv + size_t(k) * V;
    const float mx = *std::max_element(row, row + V);
    double sum = 0;
    for (int v = 0; v < V; ++v) sum += std::exp(double(row[v] - mx));
    const double lse = double(mx) + std::log(sum);
    for (int v = 0; v < V; ++v) logp_kv[size_t(k) * V + v] = double(row[v]) - lse;
  }
}

}  // namespace

BeamResult beam_search_ids(const ModelConfig& c, const float* params,
                           const std::vector<int32_t>& prompt, int64_t length, int width,
                           int banned) {
  if (width < 1 || width > 4096)
    fail_field("beam", "must be between 1 and 4096, got " + std::to_string(width));
  if (prompt.empty()) fail_field("prompt", "is empty");
  const int K = width, V = c.vocab, L = c.layers, H = c.hidden;
  Net net(c, 1, K, Net::Mode::infer, params, nullptr);
  {  // every row starts from the state the prompt leaves, warmed as Generator warms it
    std::vector<float> h_lh, c_lh;
    PromptWarmer(c, params).warm(prompt, h_lh, c_lh);
    for (int l = 0; l < L; ++l)
      for (int k = 0; k < K; ++k) {
        std::copy_n(h_lh.data() + size_t(l) * H, H, net.initial_h(l).data() + size_t(k) * H);
        if (!net.initial_c(l).empty())
          std::copy_n(c_lh.data() + size_t(l) * H, H, net.initial_c(l).data() + size_t(k) * H);
      }
  }
  std::vector<int32_t> x_k(size_t(K), prompt.back());
  std::vector<double> score_k(static_cast<size_t>(K), 0.0), logp_kv(static_cast<size_t>(K) * V),
      next_score(static_cast<size_t>(K));
  std::vector<int64_t> order(static_cast<size_t>(K) * V);
  std::vector<std::vector<int32_t>> parent_tk, symbol_tk;  // for the backtrack
  std::vector<std::vector<float>> h_lkh(static_cast<size_t>(L)),
      c_lkh(static_cast<size_t>(L));  // state of the kept rows
  int live = 1;                       // at first every row is the same beam: extend row 0 only
  for (int64_t t = 0; t < length; ++t) {
    net.forward(x_k.data(), nullptr, nullptr);
    net.carry_state();
    log_softmax(net.logits(), K, V, logp_kv);
    const int64_t n = int64_t(live) * V;
    std::iota(order.begin(), order.begin() + n, int64_t(0));
    auto score_of = [&](int64_t i) {
      const int v = int(i % V);
      return v == banned ? -INFINITY : score_k[size_t(i / V)] + logp_kv[size_t(i)];
    };
    const int keep = int(std::min<int64_t>(K, n));
    // The `keep` best extensions; ties by index, so the search is deterministic.
    std::partial_sort(order.begin(), order.begin() + keep, order.begin() + n,
                      [&](int64_t a, int64_t b) {
                        const double sa = score_of(a), sb = score_of(b);
                        return sa > sb || (sa == sb && a < b);
                      });
    parent_tk.emplace_back(size_t(keep));
    symbol_tk.emplace_back(size_t(keep));
    for (int l = 0; l < L; ++l) {
      h_lkh[size_t(l)] = net.initial_h(l);
      if (!net.initial_c(l).empty()) c_lkh[size_t(l)] = net.initial_c(l);
    }
    for (int j = 0; j < keep; ++j) {
      const int parent = int(order[size_t(j)] / V), v = int(order[size_t(j)] % V);
      parent_tk.back()[size_t(j)] = parent;
      symbol_tk.back()[size_t(j)] = v;
      next_score[size_t(j)] = score_of(order[size_t(j)]);
      x_k[size_t(j)] = v;
      for (int l = 0; l < L; ++l) {  // row j continues the beam it extends
        std::copy_n(h_lkh[size_t(l)].data() + size_t(parent) * H, H,
                    net.initial_h(l).data() + size_t(j) * H);
        if (!c_lkh[size_t(l)].empty())
          std::copy_n(c_lkh[size_t(l)].data() + size_t(parent) * H, H,
                      net.initial_c(l).data() + size_t(j) * H);
      }
    }
    std::copy_n(next_score.begin(), keep, score_k.begin());
    live = keep;
  }
  BeamResult r;
  if (length == 0) return r;
  r.log_prob = score_k[0];  // the kept beams are sorted: row 0 is the best
  r.ids.assign(size_t(length), 0);
  for (int64_t t = length - 1, j = 0; t >= 0; --t) {
    r.ids[size_t(t)] = symbol_tk[size_t(t)][size_t(j)];
    j = parent_tk[size_t(t)][size_t(j)];
  }
  return r;
}

}  // namespace charrnn
