// test_lstm_bf16.cpp — our own bf16 LSTM training layer (lstm_bf16.h) against oneDNN's f32
// LSTM layer on the same numbers, at odd sizes whose H (37) leaves a partial AVX-512 vector and
// splits over threads unevenly: forward outputs and final state, then dx, dW and db for a random
// dy. bf16 keeps 8 bits of mantissa, so agreement is to bf16 rounding, relative to each tensor's
// largest entry; the f32 layer itself is checked against finite differences in test_lstm.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "base/rng.h"
#include "nn/dnnl_layer.h"
#include "nn/lstm_bf16.h"

namespace charrnn {
namespace {

constexpr int T = 5, N = 3, I = 6, H = 37;

struct LayerRun {  // one layer with its own copies of the tensors of the flat block
  std::vector<float> w_ih, w_hh, b, x, h0, c0, dy, dw_ih, dw_hh, db, y, hT, cT, dx;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::unique_ptr<RecurrentLayer> layer;

  // ours: the bf16 layer, its input projection `chunk` steps at a time; else oneDNN's f32.
  explicit LayerRun(bool ours, int chunk = T)
      : w_ih(4 * H * I),
        w_hh(4 * H * H),
        b(4 * H),
        x(T * N * I),
        h0(N * H),
        c0(N * H),
        dy(T * N * H),
        dw_ih(w_ih.size()),
        dw_hh(w_hh.size()),
        db(b.size()),
        y(T * N * H),
        hT(N * H),
        cT(N * H),
        dx(x.size()) {
    Rng rng(3);
    for (auto* v : {&w_ih, &w_hh, &b, &x, &h0, &c0, &dy})
      for (float& e : *v) e = float(rng.uniform(-0.6, 0.6));
    const LstmViews v{w_ih.data(), w_hh.data(), b.data(),  dw_ih.data(), dw_hh.data(),
                      db.data(),   x.data(),    h0.data(), c0.data(),    y.data(),
                      hT.data(),   cT.data(),   dy.data(), dx.data()};
    if (ours)
      layer = std::make_unique<Bf16LstmLayer>(eng, T, N, I, H, v);
    else
      layer = std::make_unique<DnnlLayer>(eng, Cell::lstm, T, N, I, H, true, v);
    layer->sync_weights(strm);
    layer->forward(strm);
  }
};

// max |got - want| / max |want|, and fail if got is bit-identical (bf16 was not used).
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double worst = 0, scale = 0;
  for (size_t k = 0; k < want.size(); ++k) {
    worst = std::max(worst, double(std::abs(got[k] - want[k])));
    scale = std::max(scale, double(std::abs(want[k])));
  }
  EXPECT_GT(worst, 0.0) << "no bf16 rounding at all";
  return worst / scale;
}

class Bf16LstmLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no AVX512-BF16 or AMX";
  }
};

TEST_F(Bf16LstmLayerTest, ForwardMatchesTheF32Layer) {
  LayerRun ours(true), ref(false);
  EXPECT_LT(relative_error(ours.y, ref.y), 2e-2);
  EXPECT_LT(relative_error(ours.hT, ref.hT), 2e-2);
  EXPECT_LT(relative_error(ours.cT, ref.cT), 2e-2);
  EXPECT_EQ(ours.layer->implementation().rfind("charrnn bf16 lstm", 0), 0u);
}

TEST_F(Bf16LstmLayerTest, BackwardMatchesTheF32Layer) {
  LayerRun ours(true), ref(false);
  ours.layer->backward(ours.strm);
  ref.layer->backward(ref.strm);
  EXPECT_LT(relative_error(ours.dx, ref.dx), 3e-2);
  EXPECT_LT(relative_error(ours.dw_ih, ref.dw_ih), 3e-2);
  EXPECT_LT(relative_error(ours.dw_hh, ref.dw_hh), 3e-2);
  EXPECT_LT(relative_error(ours.db, ref.db), 3e-2);
}

TEST_F(Bf16LstmLayerTest, ChunkedInputProjectionGivesTheSameResult) {
  LayerRun whole(true), steps(true, 1);  // T = 5 is prime: one chunk, or five
  steps.layer->backward(steps.strm);
  whole.layer->backward(whole.strm);
  EXPECT_EQ(steps.y, whole.y);
  EXPECT_EQ(steps.cT, whole.cT);
  EXPECT_EQ(steps.dw_hh, whole.dw_hh);
  EXPECT_EQ(steps.db, whole.db);
}

TEST_F(Bf16LstmLayerTest, BackwardAccumulatesIntoTheGradients) {
  LayerRun ours(true);
  ours.layer->backward(ours.strm);
  const auto dw_hh = ours.dw_hh, db = ours.db;
  const auto dx = ours.dx;
  ours.layer->backward(ours.strm);  // dW, db add up (in another order); dx is overwritten
  for (size_t k = 0; k < db.size(); ++k) ASSERT_NEAR(ours.db[k], 2 * db[k], 1e-6) << k;
  for (size_t k = 0; k < dw_hh.size(); ++k) ASSERT_NEAR(ours.dw_hh[k], 2 * dw_hh[k], 1e-6) << k;
  EXPECT_EQ(ours.dx, dx);
}

}  // namespace
}  // namespace charrnn
