// test_lstm.cpp — one oneDNN LSTM layer against a naive double-precision loop at tiny odd
// sizes: outputs and final state from a non-zero initial state, and the backward pass
// (dx, dW, db) against finite differences of the loop for a random linear loss.
#include <gtest/gtest.h>

#include <cmath>

#include "charrnn/lstm.h"
#include "charrnn/rng.h"

namespace charrnn {
namespace {

constexpr int T = 4, N = 3, I = 5, H = 7, G = 4;

struct Layer {  // all tensors in PyTorch layout, as the model stores them
  std::vector<double> w_ih = std::vector<double>(G * H * I), w_hh = std::vector<double>(G * H * H),
                      b = std::vector<double>(G * H), x = std::vector<double>(T * N * I),
                      h0 = std::vector<double>(N * H), c0 = std::vector<double>(N * H);
  Layer() {
    Rng rng(11);
    for (auto* v : {&w_ih, &w_hh, &b, &x, &h0, &c0})
      for (double& e : *v) e = rng.uniform(-0.8, 0.8);
  }
};

double sigm(double v) { return 1 / (1 + std::exp(-v)); }

// y (T, N, H) and final (h, c) by the textbook equations, gates i, f, g, o.
std::vector<double> naive(const Layer& p, std::vector<double>* hT = nullptr) {
  std::vector<double> h = p.h0, c = p.c0, y(T * N * H);
  for (int t = 0; t < T; ++t) {
    std::vector<double> hn(N * H), cn(N * H);
    for (int n = 0; n < N; ++n)
      for (int j = 0; j < H; ++j) {
        double z[G];
        for (int g = 0; g < G; ++g) {
          double s = p.b[g * H + j];
          for (int i = 0; i < I; ++i) s += p.w_ih[(g * H + j) * I + i] * p.x[(t * N + n) * I + i];
          for (int k = 0; k < H; ++k) s += p.w_hh[(g * H + j) * H + k] * h[n * H + k];
          z[g] = s;
        }
        cn[n * H + j] = sigm(z[1]) * c[n * H + j] + sigm(z[0]) * std::tanh(z[2]);
        hn[n * H + j] = sigm(z[3]) * std::tanh(cn[n * H + j]);
      }
    h = hn;
    c = cn;
    for (int k = 0; k < N * H; ++k) y[t * N * H + k] = h[k];
  }
  if (hT) *hT = h;
  return y;
}

std::vector<float> f32(const std::vector<double>& v) { return {v.begin(), v.end()}; }

struct LayerRun {  // the oneDNN layer with float copies of a Layer
  std::vector<float> w_ih, w_hh, b, x, h0, c0, dw_ih, dw_hh, db, y, hT, cT, dy, dx;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::unique_ptr<LstmLayer> layer;
  explicit LayerRun(const Layer& p, bool training)
      : w_ih(f32(p.w_ih)), w_hh(f32(p.w_hh)), b(f32(p.b)), x(f32(p.x)), h0(f32(p.h0)),
        c0(f32(p.c0)), dw_ih(w_ih.size()), dw_hh(w_hh.size()), db(b.size()), y(T * N * H),
        hT(N * H), cT(N * H), dy(T * N * H), dx(T * N * I) {
    LstmViews v{w_ih.data(), w_hh.data(), b.data(), dw_ih.data(), dw_hh.data(), db.data(),
                x.data(), h0.data(), c0.data(), y.data(), hT.data(), cT.data(), dy.data(), dx.data()};
    layer = std::make_unique<LstmLayer>(eng, T, N, I, H, training, v);
    layer->sync_weights(strm);
    layer->forward(strm);
  }
};

TEST(LstmLayer, ForwardMatchesNaiveLoop) {
  Layer p;
  std::vector<double> hT;
  const std::vector<double> want = naive(p, &hT);
  for (bool training : {true, false}) {
    LayerRun r(p, training);
    for (size_t k = 0; k < want.size(); ++k) ASSERT_NEAR(r.y[k], want[k], 1e-5) << "y " << k;
    for (size_t k = 0; k < hT.size(); ++k) ASSERT_NEAR(r.hT[k], hT[k], 1e-5) << "hT " << k;
  }
}

TEST(LstmLayer, BackwardMatchesFiniteDifferences) {
  Layer p;
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
  auto check = [&](std::vector<double> Layer::*field, const std::vector<float>& analytic, const char* name) {
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

}  // namespace
}  // namespace charrnn
