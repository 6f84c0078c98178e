// test_bf16.cpp — --dtype bf16: the whole model in bf16 against the double-precision reference
// (forward) and against the f32 model (gradients), for every cell, at small odd sizes. bf16
// keeps 8 bits of mantissa, so the tolerances are those of bf16 rounding, not of f32. Then the
// real binary: train and generate with --dtype bf16, and the fallback on a CPU without bf16.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "base/fsutil.h"
#include "base/rng.h"
#include "nn/model.h"
#include "reference.h"
#include "test_util.h"

namespace charrnn {
namespace {

struct Case {
  ModelConfig c;
  int T = 6, N = 5;
  std::vector<float> params;
  std::vector<int32_t> x, y;
  explicit Case(Cell cell) {
    c.cell = cell;
    c.vocab = 11;
    c.embed = 7;
    c.hidden = 13;
    c.layers = 2;
    params.resize(parameter_count(c));
    init_parameters(c, params.data(), 5);
    Rng rng(9);
    for (int m = 0; m < T * N; ++m) {
      x.push_back(int32_t(rng.next_u64() % uint64_t(c.vocab)));
      y.push_back(int32_t(rng.next_u64() % uint64_t(c.vocab)));
    }
  }
  // Mean loss and gradient block of one forward/backward at `dtype`.
  double run(Dtype dtype, std::vector<float>* grads) {
    ModelConfig m = c;
    m.dtype = dtype;
    grads->assign(params.size(), 0.f);
    Net net(m, T, N, Net::Mode::train, params.data(), grads->data());
    int64_t count = 0;
    const double loss = net.forward(x.data(), y.data(), &count) / double(count);
    net.backward();
    return loss;
  }
};

class Bf16 : public ::testing::TestWithParam<Cell> {
 protected:
  void SetUp() override {
    if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no AVX512-BF16 or AMX";
  }
};

TEST_P(Bf16, ForwardMatchesTheReferenceToBf16Precision) {
  Case k(GetParam());
  k.c.dtype = Dtype::bf16;
  Net net(k.c, k.T, k.N, Net::Mode::infer, k.params.data(), nullptr);
  int64_t count = 0;
  const double loss = net.forward(k.x.data(), k.y.data(), &count);
  const auto ref = testing::reference_forward(k.c, {k.params.begin(), k.params.end()}, k.T, k.N,
                                              k.x.data(), k.y.data());
  EXPECT_NEAR(loss, ref.loss, 1e-2 * std::abs(ref.loss));
  double worst = 0;
  for (size_t i = 0; i < ref.logits_mv.size(); ++i)
    worst = std::max(worst, std::abs(net.logits()[i] - ref.logits_mv[i]));
  EXPECT_LT(worst, 3e-2);
  EXPECT_GT(worst, 0.0) << "bf16 rounding left no trace: was the layer really bf16?";
}

TEST_P(Bf16, GradientAgreesWithTheF32Gradient) {
  Case k(GetParam());
  std::vector<float> g32, g16;
  const double l32 = k.run(Dtype::f32, &g32), l16 = k.run(Dtype::bf16, &g16);
  EXPECT_NEAR(l16, l32, 1e-2 * l32);
  double dot = 0, n32 = 0, n16 = 0;
  for (size_t i = 0; i < g32.size(); ++i) {
    dot += double(g32[i]) * g16[i];
    n32 += double(g32[i]) * g32[i];
    n16 += double(g16[i]) * g16[i];
  }
  EXPECT_GT(dot / std::sqrt(n32 * n16), 0.999);  // same direction
  EXPECT_NEAR(std::sqrt(n16 / n32), 1.0, 0.02);  // same size
}

// The head reads a bf16 copy of its weights: sync_weights() must refresh it, with weight drop
// on too (whose layers sync themselves in forward()).
TEST_P(Bf16, ASyncedNetReadsChangedHeadWeights) {
  for (double weight_drop : {0.0, 0.3}) {
    Case k(GetParam());
    k.c.dtype = Dtype::bf16;
    k.c.weight_drop = weight_drop;
    std::vector<float> g1(k.params.size()), g2(k.params.size());
    Rng r1(7), r2(7);
    Net net(k.c, k.T, k.N, Net::Mode::train, k.params.data(), g1.data());
    net.set_dropout_rng(&r1);
    int64_t count = 0;
    auto logits_of = [&](Net& n) {
      n.forward(k.x.data(), k.y.data(), &count);
      return std::vector<float>(n.logits(), n.logits() + size_t(k.T * k.N * k.c.vocab));
    };
    const std::vector<float> before = logits_of(net);
    const TensorInfo head = parameter_tensors(k.c)[parameter_tensors(k.c).size() - 2];
    ASSERT_EQ(head.name, "head.weight");
    for (size_t i = 0; i < head.size; ++i) k.params[head.offset + i] *= 3.f;
    net.sync_weights();
    Net fresh(k.c, k.T, k.N, Net::Mode::train, k.params.data(), g2.data());
    fresh.set_dropout_rng(&r2);
    logits_of(fresh);  // r2 draws the masks r1 drew for `before`
    const std::vector<float> after = logits_of(net);
    EXPECT_NE(after, before) << "weight drop " << weight_drop;
    EXPECT_EQ(after, logits_of(fresh)) << "weight drop " << weight_drop;
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, Bf16, ::testing::Values(Cell::lstm, Cell::gru, Cell::rnn),
                         [](const auto& info) { return cell_name(info.param); });

std::string tiny_corpus(const std::string& dir) {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "the quick brown fox jumps over the lazy dog " + std::to_string(i % 11) + "\n";
  testing::write_text(dir + "/corpus.txt", text);
  return dir + "/corpus.txt";
}

TEST(Bf16Cli, TrainsAndGeneratesInBf16) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no AVX512-BF16 or AMX";
  const std::string dir = testing::scratch_dir("charrnn_bf16");
  const std::string corpus = tiny_corpus(dir);
  auto r =
      testing::run_charrnn("train --corpus " + corpus + " --model " + dir +
                               "/m --dtype bf16 --layers 2 --hidden 32 --lr-schedule constant "
                               "--seq 16 --batch 8 --steps 60 --eval-every 30 --threads 1 --quiet",
                           dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto j = nlohmann::json::parse(testing::slurp(dir + "/m/model.json"));
  EXPECT_EQ(j["training"]["config"]["dtype"], "bf16");
  EXPECT_NE(testing::run_charrnn("inspect " + dir + "/m", dir).out.find("; bf16"),
            std::string::npos);
  EXPECT_LT(j["history"].back()["val_loss"].get<double>(),
            j["history"][0]["val_loss"].get<double>() - 0.5);
  r = testing::run_charrnn(
      "generate --model " + dir + "/m --dtype bf16 --prompt the --length 40 --threads 1", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("the", 0), 0u);
  EXPECT_GE(r.out.size(), 43u);
  remove_tree(dir);
}

TEST(Bf16Cli, FallsBackToF32WithAWarningWhereTheCpuLacksBf16) {
  const std::string dir = testing::scratch_dir("charrnn_bf16_fallback");
  const std::string corpus = tiny_corpus(dir);
  // DNNL_MAX_CPU_ISA hides the bf16 instructions from oneDNN, as an older CPU would.
  auto r = testing::run_charrnn_cmd(
      "DNNL_MAX_CPU_ISA=AVX512_CORE " + std::string(CHARRNN_BIN) + " train --corpus " + corpus +
          " --model " + dir +
          "/m --dtype bf16 --hidden 16 --seq 8 --batch 4 --steps 3 --threads 1 --quiet",
      dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(
      r.err.find("warning: this CPU has no bf16 instructions (AVX512-BF16 or AMX); using f32"),
      std::string::npos)
      << r.err;
  const auto j = nlohmann::json::parse(testing::slurp(dir + "/m/model.json"));
  EXPECT_EQ(j["training"]["config"]["dtype"], "f32");
  remove_tree(dir);
}

}  // namespace
}  // namespace charrnn
