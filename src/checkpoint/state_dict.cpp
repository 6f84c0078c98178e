// state_dict.cpp — the flat parameter block <-> PyTorch's state_dict (nn.Embedding,
// nn.LSTM / nn.GRU / nn.RNN, nn.Linear): names, gate order and the two biases PyTorch keeps.
// See model.h for the block's layout and recurrent_layer.h for oneDNN's gate order.
#include <cstring>

#include "charrnn/error.h"
#include "nn/model.h"

namespace charrnn {
namespace {

// Copies gate block `from` of a (G H, cols) matrix to gate block `to` of another.
void copy_gate(const float* src, int from, float* dst, int to, int64_t H, int64_t cols) {
  std::memcpy(dst + to * H * cols, src + from * H * cols, sizeof(float) * size_t(H * cols));
}

}  // namespace

// PyTorch's GRU gates are r, z, n; oneDNN's are u (= z), r, o (= n): the first two swap. The
// mapping is its own inverse, so reading and writing use the same table.
constexpr int kGruGate[3] = {1, 0, 2};

std::vector<StateTensor> to_state_dict(const ModelConfig& c, const float* p) {
  const std::vector<TensorInfo> ts = parameter_tensors(c);
  const int64_t H = c.hidden, G = cell_gates(c.cell);
  const std::string cell = cell_name(c.cell);
  auto take = [&](const TensorInfo& t, std::string name) {
    return StateTensor{std::move(name), t.shape,
                       std::vector<float>(p + t.offset, p + t.offset + t.size)};
  };
  std::vector<StateTensor> out = {take(ts[0], "embedding.weight")};
  for (int l = 0; l < c.layers; ++l) {
    const std::string k = std::to_string(l);
    StateTensor w_ih = take(ts[size_t(1 + 3 * l)], cell + ".weight_ih_l" + k);
    StateTensor w_hh = take(ts[size_t(2 + 3 * l)], cell + ".weight_hh_l" + k);
    const float* b = p + ts[size_t(3 + 3 * l)].offset;
    StateTensor b_ih{cell + ".bias_ih_l" + k, {G * H}, std::vector<float>(b, b + G * H)};
    StateTensor b_hh{cell + ".bias_hh_l" + k, {G * H}, std::vector<float>(size_t(G * H), 0.f)};
    if (c.cell ==
        Cell::gru) {  // b = (u, r, o, u'): b_ih = (r, z, n) = (r, u, o), b_hh = (0, 0, u')
      for (StateTensor* w : {&w_ih, &w_hh}) {
        const std::vector<float> src = w->values;
        const int64_t cols = w->shape[1];
        for (int g = 0; g < 3; ++g)
          copy_gate(src.data(), kGruGate[g], w->values.data(), g, H, cols);
      }
      for (int g = 0; g < 3; ++g) copy_gate(b, kGruGate[g], b_ih.values.data(), g, H, 1);
      copy_gate(b, 3, b_hh.values.data(), 2, H, 1);
    }
    for (StateTensor* t : {&w_ih, &w_hh, &b_ih, &b_hh}) out.push_back(std::move(*t));
  }
  out.push_back(take(ts[ts.size() - 2], "head.weight"));
  out.push_back(take(ts.back(), "head.bias"));
  return out;
}

void from_state_dict(const ModelConfig& c, const TensorGetter& get, float* p) {
  const std::vector<TensorInfo> ts = parameter_tensors(c);
  const int64_t H = c.hidden, G = cell_gates(c.cell);
  const std::string cell = cell_name(c.cell);
  auto must = [&](const std::string& name, const std::vector<int64_t>& shape, float* dst) {
    if (!get(name, shape, dst)) fail("no tensor named '" + name + "'");
  };
  must("embedding.weight", ts[0].shape, p + ts[0].offset);
  for (int l = 0; l < c.layers; ++l) {
    const std::string k = std::to_string(l);
    const TensorInfo &ti = ts[size_t(1 + 3 * l)], &th = ts[size_t(2 + 3 * l)],
                     &tb = ts[size_t(3 + 3 * l)];
    std::vector<float> w_ih(ti.size), w_hh(th.size), b_ih(size_t(G * H)), b_hh(size_t(G * H), 0.f);
    must(cell + ".weight_ih_l" + k, ti.shape, w_ih.data());
    must(cell + ".weight_hh_l" + k, th.shape, w_hh.data());
    must(cell + ".bias_ih_l" + k, {G * H}, b_ih.data());
    get(cell + ".bias_hh_l" + k, {G * H}, b_hh.data());  // absent: zero
    float* b = p + tb.offset;
    if (c.cell != Cell::gru) {  // one bias: PyTorch adds the two
      std::memcpy(p + ti.offset, w_ih.data(), sizeof(float) * ti.size);
      std::memcpy(p + th.offset, w_hh.data(), sizeof(float) * th.size);
      for (int64_t i = 0; i < G * H; ++i) b[i] = b_ih[size_t(i)] + b_hh[size_t(i)];
      continue;
    }
    for (int g = 0; g < 3; ++g) {
      copy_gate(w_ih.data(), kGruGate[g], p + ti.offset, g, H, ti.shape[1]);
      copy_gate(w_hh.data(), kGruGate[g], p + th.offset, g, H, H);
    }
    for (int64_t j = 0; j < H; ++j) {  // u = z_ih + z_hh, r = r_ih + r_hh, o = n_ih, u' = n_hh
      b[j] = b_ih[size_t(H + j)] + b_hh[size_t(H + j)];
      b[H + j] = b_ih[size_t(j)] + b_hh[size_t(j)];
      b[2 * H + j] = b_ih[size_t(2 * H + j)];
      b[3 * H + j] = b_hh[size_t(2 * H + j)];
    }
  }
  must("head.weight", ts[ts.size() - 2].shape, p + ts[ts.size() - 2].offset);
  must("head.bias", ts.back().shape, p + ts.back().offset);
}

}  // namespace charrnn
