// test_lstm.cpp — one oneDNN recurrent layer of each cell (LSTM, GRU, tanh RNN) against the
// naive double-precision step of reference.h at tiny odd sizes: outputs and final state from a
// non-zero initial state, and the backward pass (dx, dW, db) against finite differences of
// the loop for a random linear loss.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "base/rng.h"
#include "nn/dnnl_layer.h"
#include "reference.h"

namespace charrnn {
namespace {

constexpr int T = 4, N = 3, I = 5, H = 7;

struct Layer {  // all tensors in the flat block's layout
  Cell cell;
  std::vector<double> w_ih, w_hh, b, x, h0, c0;
  explicit Layer(Cell c)
      : cell(c),
        w_ih(size_t(cell_gates(c) * H * I)),
        w_hh(size_t(cell_gates(c) * H * H)),
        b(size_t(cell_bias_gates(c) * H)),
        x(T * N * I),
        h0(N * H),
        c0(N * H) {
    Rng rng(11);
    for (auto* v : {&w_ih, &w_hh, &b, &x, &h0, &c0})
      for (double& e : *v) e = rng.uniform(-0.8, 0.8);
  }
};

// y (T, N, H) and the final h by the reference step.
std::vector<double> naive(const Layer& p, std::vector<double>* hT = nullptr) {
  std::vector<double> h = p.h0, c = p.c0, y(T * N * H);
  for (int t = 0; t < T; ++t)
    for (int n = 0; n < N; ++n) {
      testing::cell_step(p.cell, p.w_ih.data(), p.w_hh.data(), p.b.data(),
                         &p.x[size_t((t * N + n) * I)], I, H, &h[size_t(n * H)], &c[size_t(n * H)]);
      std::copy(h.begin() + n * H, h.begin() + (n + 1) * H, y.begin() + (t * N + n) * H);
    }
  if (hT) *hT = h;
  return y;
}

std::vector<float> f32(const std::vector<double>& v) {
  return {v.begin(), v.end()};
}

struct LayerRun {  // the oneDNN layer with float copies of a Layer
  std::vector<float> w_ih, w_hh, b, x, h0, c0, dw_ih, dw_hh, db, y, hT, cT, dy, dx;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::unique_ptr<DnnlLayer> layer;
  LayerRun(const Layer& p, bool training)
      : w_ih(f32(p.w_ih)),
        w_hh(f32(p.w_hh)),
        b(f32(p.b)),
        x(f32(p.x)),
        h0(f32(p.h0)),
        c0(f32(p.c0)),
        dw_ih(w_ih.size()),
        dw_hh(w_hh.size()),
        db(b.size()),
        y(T * N * H),
        hT(N * H),
        cT(N * H),
        dy(T * N * H),
        dx(T * N * I) {
    LstmViews v{w_ih.data(), w_hh.data(), b.data(),  dw_ih.data(), dw_hh.data(),
                db.data(),   x.data(),    h0.data(), c0.data(),    y.data(),
                hT.data(),   cT.data(),   dy.data(), dx.data()};
    layer = std::make_unique<DnnlLayer>(eng, p.cell, T, N, I, H, training, v);
    layer->sync_weights(strm);
    layer->forward(strm);
  }
};

class RecurrentLayerTest : public ::testing::TestWithParam<Cell> {};

TEST_P(RecurrentLayerTest, ForwardMatchesNaiveLoop) {
  Layer p(GetParam());
  std::vector<double> hT;
  const std::vector<double> want = naive(p, &hT);
  for (bool training : {true, false}) {
    LayerRun r(p, training);
    for (size_t k = 0; k < want.size(); ++k) ASSERT_NEAR(r.y[k], want[k], 1e-5) << "y " << k;
    for (size_t k = 0; k < hT.size(); ++k) ASSERT_NEAR(r.hT[k], hT[k], 1e-5) << "hT " << k;
  }
}

TEST_P(RecurrentLayerTest, BackwardMatchesFiniteDifferences) {
  Layer p(GetParam());
  LayerRun r(p, true);
  Rng rng(5);
  std::vector<double> wy(T * N * H);  // loss = sum(wy * y)
  for (size_t k = 0; k < wy.size(); ++k) r.dy[k] = float(wy[k] = rng.uniform(-1, 1));
  r.layer->backward(r.strm);
  auto loss = [&](const Layer& q) {
    std::vector<double> y = naive(q);
    double s = 0;
    for (size_t k = 0; k < y.size(); ++k) s += wy[k] * y[k];
    return s;
  };
  auto check = [&](std::vector<double> Layer::*field, const std::vector<float>& analytic,
                   const char* name) {
    Layer q = p;
    for (size_t k = 0; k < analytic.size(); ++k) {
      const double keep = (q.*field)[k], h = 1e-6;
      (q.*field)[k] = keep + h;
      const double up = loss(q);
      (q.*field)[k] = keep - h;
      const double down = loss(q);
      (q.*field)[k] = keep;
      ASSERT_NEAR(analytic[k], (up - down) / (2 * h), 1e-4) << name << "[" << k << "]";
    }
  };
  check(&Layer::x, r.dx, "dx");
  check(&Layer::w_ih, r.dw_ih, "dw_ih");
  check(&Layer::w_hh, r.dw_hh, "dw_hh");
  check(&Layer::b, r.db, "db");
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentLayerTest,
                         ::testing::Values(Cell::lstm, Cell::gru, Cell::rnn),
                         [](const ::testing::TestParamInfo<Cell>& info) {
                           return cell_name(info.param);
                         });

}  // namespace
}  // namespace charrnn
