// parameters.cpp — the model's option table, its flat parameter layout in PyTorch's names,
// initialization and the copy from a parent model (see model.h).
#include <algorithm>
#include <cmath>

#include "base/rng.h"
#include "charrnn/error.h"
#include "nn/model.h"

namespace charrnn {

const OptionTable<ModelConfig>& model_options() {
  using C = ModelConfig;
  static const OptionTable<C> table({
      choice<C, Cell>(
          spec("cell", "Model", "recurrent cell: lstm, gru (PyTorch's nn.GRU) or rnn (tanh)")
              .with(kArchitecture),
          [](C& c) -> Cell& { return c.cell; }, {Cell::lstm, Cell::gru, Cell::rnn}, cell_name),
      option<C, int>(spec("layers", "Model", "recurrent layers (L)")
                         .between(1, 16)
                         .with(kArchitecture | kPreset),
                     [](C& c) -> int& { return c.layers; }),
      option<C, int>(
          spec("hidden", "Model", "state width (H)").between(1, 8192).with(kArchitecture | kPreset),
          [](C& c) -> int& { return c.hidden; }),
      option<C, int>(spec("embed", "Model", "embedding width (E)")
                         .between(1, 8192)
                         .with(kArchitecture | kPreset),
                     [](C& c) -> int& { return c.embed; }),
      option<C, double>(spec("dropout", "Model", "dropout between recurrent layers")
                            .between(0, 1)
                            .below(1)
                            .with(kPreset),
                        [](C& c) -> double& { return c.dropout; }),
      option<C, double>(
          spec("output_dropout", "Model", "dropout on the last layer's output, before the head")
              .between(0, 1)
              .below(1)
              .with(kPreset),
          [](C& c) -> double& { return c.output_dropout; }),
      option<C, double>(spec("weight_drop", "Model",
                             "DropConnect on the recurrent weights, one mask per step (AWD-LSTM)")
                            .between(0, 1)
                            .below(1)
                            .with(kPreset),
                        [](C& c) -> double& { return c.weight_drop; }),
      choice<C, Dtype>(
          spec("dtype", "Model",
               "compute precision (f32 master weights either way); auto: the faster "
               "of the two, measured at the start")
              .with(kResumable),
          [](C& c) -> Dtype& { return c.dtype; }, {Dtype::automatic, Dtype::f32, Dtype::bf16},
          dtype_name),
  });
  return table;
}

void validate_model_config(const ModelConfig& c) {
  model_options().validate(c);
  if (c.vocab < 1) fail("the vocabulary is empty");
}

std::vector<TensorInfo> parameter_tensors(const ModelConfig& c) {
  const int64_t V = c.vocab, E = c.embed, H = c.hidden;
  const int64_t G = cell_gates(c.cell), Gb = cell_bias_gates(c.cell);
  const std::string cell = cell_name(c.cell);
  std::vector<TensorInfo> ts;
  size_t offset = 0;
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    size_t size = 1;
    for (int64_t d : shape) size *= size_t(d);
    ts.push_back({std::move(name), std::move(shape), offset, size});
    offset += size;
  };
  add("embedding.weight", {V, E});
  for (int l = 0; l < c.layers; ++l) {
    const std::string k = std::to_string(l);
    add(cell + ".weight_ih_l" + k, {G * H, l == 0 ? E : H});
    add(cell + ".weight_hh_l" + k, {G * H, H});
    add(cell + ".bias_l" + k, {Gb * H});
  }
  add("head.weight", {V, H});
  add("head.bias", {V});
  return ts;
}

size_t parameter_count(const ModelConfig& c) {
  const TensorInfo last = parameter_tensors(c).back();
  return last.offset + last.size;
}

void copy_parent_parameters(const ModelConfig& parent, const float* parent_p,
                            const ModelConfig& child, float* child_p) {
  if (parent.cell != child.cell || parent.layers != child.layers || parent.hidden != child.hidden ||
      parent.embed != child.embed || parent.vocab > child.vocab)
    fail("the fine-tuned model must have its parent's architecture and vocabulary first");
  const std::vector<TensorInfo> from = parameter_tensors(parent), to = parameter_tensors(child);
  for (size_t i = 0; i < to.size(); ++i) {
    const TensorInfo &f = from[i], &t = to[i];
    // Equal shapes: the whole tensor. Otherwise a vocabulary-major [V, ...] tensor: its first
    // parent.vocab rows, which are contiguous.
    const size_t n = f.shape == t.shape ? t.size : f.size;
    std::copy_n(parent_p + f.offset, n, child_p + t.offset);
  }
}

void init_parameters(const ModelConfig& c, float* p, uint64_t seed) {
  Rng rng(seed);
  const double k = 1.0 / std::sqrt(double(c.hidden));
  for (const TensorInfo& t : parameter_tensors(c)) {
    float* w = p + t.offset;
    if (t.name == "embedding.weight") {
      for (size_t i = 0; i < t.size; ++i) w[i] = float(rng.normal());
      continue;
    }
    for (size_t i = 0; i < t.size; ++i) w[i] = float(rng.uniform(-k, k));
    if (t.name.rfind("lstm.bias_l", 0) == 0)  // gates i, f, g, o: f is the second block
      for (int h = 0; h < c.hidden; ++h) w[c.hidden + h] += 1.0f;
  }
}

}  // namespace charrnn
